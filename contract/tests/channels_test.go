package tests

import (
	"math/big"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestOpenChannel(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	before := v.gasBalance(v.guest.ScriptHash())
	expiry := v.now(t) + 60000
	h := v.e.NewInvoker(v.gas, v.guest).Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash,
		int64(5_0000_0000), v.openData(voucher, expiry))
	ev := v.event(t, h, "ChannelOpened")
	require.EqualValues(t, 1, bigInt(ev[0]))
	require.Equal(t, v.guest.ScriptHash().BytesBE(), ev[1].Value())
	require.Equal(t, v.owner.ScriptHash().BytesBE(), ev[2].Value())
	require.Equal(t, v.router.PublicKey().Bytes(), ev[3].Value())
	require.Equal(t, v.gas.BytesBE(), ev[4].Value())
	require.Equal(t, voucher.PublicKey().Bytes(), ev[5].Value())
	require.EqualValues(t, 5_0000_0000, bigInt(ev[6]))
	require.EqualValues(t, expiry, bigInt(ev[7]))
	require.EqualValues(t, 1, bigInt(ev[8]))
	require.EqualValues(t, 1, bigInt(ev[9]))
	require.Equal(t, big.NewInt(5_0000_0000), v.gasBalance(v.hash))
	require.Equal(t, -1, v.gasBalance(v.guest.ScriptHash()).Cmp(new(big.Int).Sub(before, big.NewInt(5_0000_0000))))

	ch := v.channel(t, 1)
	require.EqualValues(t, 1, bigInt(ch[0]))
	require.Equal(t, v.guest.ScriptHash().BytesBE(), ch[1].Value())
	require.Equal(t, v.owner.ScriptHash().BytesBE(), ch[2].Value())
	require.Equal(t, v.gas.BytesBE(), ch[3].Value())
	require.Equal(t, voucher.PublicKey().Bytes(), ch[4].Value())
	require.EqualValues(t, 5_0000_0000, bigInt(ch[5]))
	require.EqualValues(t, 0, bigInt(ch[6]))
	require.EqualValues(t, expiry, bigInt(ch[7]))
	require.Equal(t, false, ch[8].Value())
	require.EqualValues(t, 1, bigInt(ch[9]))
	require.EqualValues(t, 1, bigInt(ch[10]))
	require.EqualValues(t, 2, v.open(t, voucher, 1, expiry))
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getChannel", 3)
}

// Every malformed transfer must fault the GAS transfer itself, so the
// tokens never leave the guest and no channel exists.
func TestOpenRefusals(t *testing.T) {
	v := newEnv(t)
	rk := v.router.PublicKey().Bytes()
	vk := newKey(t).PublicKey().Bytes()
	future := v.now(t) + 60000
	unknown := newKey(t).PublicKey().Bytes()
	cases := map[string]struct {
		data any
		msg  string
	}{
		"no data":          {nil, "transfer data missing"},
		"not an array":     {int64(5), "Array"},
		"empty array":      {[]any{}, "transfer data empty"},
		"unknown op":       {[]any{7, rk, vk, future, 1, 1}, "unknown operation"},
		"v1 string op":     {[]any{"open", rk, vk, future}, "unknown operation"},
		"short open":       {[]any{opOpen, rk, vk, future, 1}, "open wants"},
		"long open":        {[]any{opOpen, rk, vk, future, 1, 1, 1}, "open wants"},
		"bad router key":   {[]any{opOpen, rk[:20], vk, future, 1, 1}, "router must be"},
		"unknown router":   {[]any{opOpen, unknown, vk, future, 1, 1}, "unknown router"},
		"bad voucher key":  {[]any{opOpen, rk, append([]byte{4}, vk[1:]...), future, 1, 1}, "voucher key must be"},
		"expiry in past":   {[]any{opOpen, rk, vk, v.now(t) - 1, 1, 1}, "expiry must be in the future"},
		"unknown plan":     {[]any{opOpen, rk, vk, future, 2, 1}, "unknown plan"},
		"plan id 0":        {[]any{opOpen, rk, vk, future, 0, 1}, "plan id must be"},
		"plan id 256":      {[]any{opOpen, rk, vk, future, 256, 1}, "plan id must be"},
		"future version":   {[]any{opOpen, rk, vk, future, 1, 2}, "plan changed"},
		"topup no channel": {[]any{opTopUp, 42, 0}, "unknown channel"},
		"short topup":      {[]any{opTopUp, 1}, "topup wants"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			before := v.gasBalance(v.guest.ScriptHash())
			h := v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, c.msg, "transfer",
				v.guest.ScriptHash(), v.hash, 1_0000_0000, c.data)
			tx, _ := v.e.GetTransaction(t, h)
			fees := big.NewInt(tx.SystemFee + tx.NetworkFee)
			require.Equal(t, new(big.Int).Sub(before, fees), v.gasBalance(v.guest.ScriptHash()))
			require.Zero(t, v.gasBalance(v.hash).Sign())
		})
	}
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getChannel", 1)
}

func TestOpenWithOtherToken(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	neo := v.e.NativeHash(t, nativenames.Neo)
	v.e.NewInvoker(neo, v.e.Validator).Invoke(t, true, "transfer",
		v.e.Validator.ScriptHash(), v.guest.ScriptHash(), 10, nil)
	data := v.openData(voucher, v.now(t)+60000)
	v.e.NewInvoker(neo, v.guest).InvokeFail(t, "token not accepted", "transfer",
		v.guest.ScriptHash(), v.hash, 3, data)
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "setTokenAccepted", v.owner.ScriptHash(), neo, true)
	h := v.e.NewInvoker(neo, v.guest).Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 3, data)
	ev := v.event(t, h, "ChannelOpened")
	require.Equal(t, neo.BytesBE(), ev[4].Value())
	id := bigInt(ev[0])
	require.Equal(t, neo.BytesBE(), v.channel(t, id)[3].Value())
	// Redeem pays in the channel's own token. Sending NEO out mints the GAS
	// the contract earned holding it (a transfer from null): accepted.
	gas0 := v.gasBalance(v.hash)
	v.inv(v.owner).Invoke(t, 2, "redeem", id, 2, v.voucher(voucher, id, 2))
	v.e.NewInvoker(neo, v.owner).Invoke(t, 2, "balanceOf", v.owner.ScriptHash())
	require.Equal(t, 1, v.gasBalance(v.hash).Cmp(gas0), "the GAS mint was refused")
	// A top-up must come in the same token.
	v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "wrong token", "transfer",
		v.guest.ScriptHash(), v.hash, 5, []any{opTopUp, id, 0})
	v.e.NewInvoker(neo, v.guest).Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 1, []any{opTopUp, id, 0})
	require.EqualValues(t, 4, bigInt(v.channel(t, id)[5]))
}

func TestTopUp(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	expiry := v.now(t) + 60000
	id := v.open(t, voucher, 100, expiry)
	gas := v.e.NewInvoker(v.gas, v.guest)
	h := gas.Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 50, []any{opTopUp, id, 0})
	ev := v.event(t, h, "ChannelToppedUp")
	require.EqualValues(t, 50, bigInt(ev[1]))
	require.EqualValues(t, 150, bigInt(ev[2]))
	require.EqualValues(t, expiry, bigInt(ev[3]))
	gas.Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 50, []any{opTopUp, id, expiry + 1000})
	ch := v.channel(t, id)
	require.EqualValues(t, 200, bigInt(ch[5]))
	require.EqualValues(t, expiry+1000, bigInt(ch[7]))
	// The rest of the record is untouched.
	require.Equal(t, voucher.PublicKey().Bytes(), ch[4].Value())
	require.EqualValues(t, 1, bigInt(ch[9]))
	require.EqualValues(t, 1, bigInt(ch[10]))

	gas.InvokeFail(t, "must not shrink", "transfer", v.guest.ScriptHash(), v.hash, 50, []any{opTopUp, id, expiry})
	stranger := v.e.NewAccount(t)
	v.e.NewInvoker(v.gas, stranger).InvokeFail(t, "only the guest", "transfer",
		stranger.ScriptHash(), v.hash, 50, []any{opTopUp, id, 0})
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "close", id, 0, []byte{}, v.owner.ScriptHash())
	gas.InvokeFail(t, "channel closed", "transfer", v.guest.ScriptHash(), v.hash, 50, []any{opTopUp, id, 0})
}
