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
	voucher, _ := newKey(t)
	before := v.gasBalance(v.guest.ScriptHash())
	expiry := v.now(t) + 60000
	id := v.open(t, voucher, 5_0000_0000, expiry)
	require.EqualValues(t, 1, id)
	require.Equal(t, big.NewInt(5_0000_0000), v.gasBalance(v.hash))
	require.Equal(t, -1, v.gasBalance(v.guest.ScriptHash()).Cmp(new(big.Int).Sub(before, big.NewInt(5_0000_0000))))
	ch := v.channel(t, id)
	require.Equal(t, v.guest.ScriptHash().BytesBE(), ch[1].Value())
	require.Equal(t, v.owner.ScriptHash().BytesBE(), ch[2].Value())
	require.Equal(t, voucher.PublicKey().Bytes(), ch[5].Value())
	require.EqualValues(t, 5_0000_0000, ch[6].Value().(*big.Int).Int64())
	require.EqualValues(t, expiry, ch[8].Value().(*big.Int).Int64())
	require.EqualValues(t, 2, v.open(t, voucher, 1, expiry))
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getChannel", 3)
}

// Every malformed transfer must fault the GAS transfer itself, so the
// tokens never leave the guest and no channel exists.
func TestOpenRefusals(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	rk := v.router.PublicKey().Bytes()
	vk := voucher.PublicKey().Bytes()
	future := v.now(t) + 60000
	unknown, _ := newKey(t)
	cases := map[string]struct {
		data any
		msg  string
	}{
		"no data":          {nil, "transfer data missing"},
		"not an array":     {int64(5), "Array"},
		"empty array":      {[]any{}, "transfer data empty"},
		"unknown op":       {[]any{"steal", rk, vk, future}, "unknown operation"},
		"short open":       {[]any{"open", rk, vk}, "open wants"},
		"long open":        {[]any{"open", rk, vk, future, 1}, "open wants"},
		"bad router key":   {[]any{"open", rk[:20], vk, future}, "router must be"},
		"unknown router":   {[]any{"open", unknown.PublicKey().Bytes(), vk, future}, "unknown router"},
		"bad voucher key":  {[]any{"open", rk, append([]byte{4}, vk[1:]...), future}, "voucher key must be"},
		"expiry in past":   {[]any{"open", rk, vk, v.now(t) - 1}, "expiry must be in the future"},
		"topup no channel": {[]any{"topup", 42, 0}, "unknown channel"},
		"short topup":      {[]any{"topup", 1}, "topup wants"},
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
	voucher, _ := newKey(t)
	neo := v.e.NativeHash(t, nativenames.Neo)
	v.e.NewInvoker(neo, v.e.Validator).Invoke(t, true, "transfer",
		v.e.Validator.ScriptHash(), v.guest.ScriptHash(), 10, nil)
	data := []any{"open", v.router.PublicKey().Bytes(), voucher.PublicKey().Bytes(), v.now(t) + 60000}
	v.e.NewInvoker(neo, v.guest).InvokeFail(t, "token not accepted", "transfer",
		v.guest.ScriptHash(), v.hash, 3, data)
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "setTokenAccepted", v.owner.ScriptHash(), neo, true)
	h := v.e.NewInvoker(neo, v.guest).Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 3, data)
	require.Equal(t, neo.BytesBE(), v.event(t, h, "ChannelOpened")[4].Value())
	// Redeem pays in the channel's own token.
	id := v.event(t, h, "ChannelOpened")[0].Value().(*big.Int).Int64()
	v.inv(v.owner).Invoke(t, 2, "redeem", id, 2, v.voucher(voucher, id, 2))
	v.e.NewInvoker(neo, v.owner).Invoke(t, 2, "balanceOf", v.owner.ScriptHash())
	// A top-up must come in the same token.
	v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "wrong token", "transfer",
		v.guest.ScriptHash(), v.hash, 5, []any{"topup", id, 0})
}

func TestTopUp(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	expiry := v.now(t) + 60000
	id := v.open(t, voucher, 100, expiry)
	gas := v.e.NewInvoker(v.gas, v.guest)
	h := gas.Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 50, []any{"topup", id, 0})
	ev := v.event(t, h, "ChannelToppedUp")
	require.EqualValues(t, 150, ev[2].Value().(*big.Int).Int64())
	require.EqualValues(t, expiry, ev[3].Value().(*big.Int).Int64())
	gas.Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, 50, []any{"topup", id, expiry + 1000})
	ch := v.channel(t, id)
	require.EqualValues(t, 200, ch[6].Value().(*big.Int).Int64())
	require.EqualValues(t, expiry+1000, ch[8].Value().(*big.Int).Int64())

	gas.InvokeFail(t, "must not shrink", "transfer", v.guest.ScriptHash(), v.hash, 50, []any{"topup", id, expiry})
	stranger := v.e.NewAccount(t)
	v.e.NewInvoker(v.gas, stranger).InvokeFail(t, "only the guest", "transfer",
		stranger.ScriptHash(), v.hash, 50, []any{"topup", id, 0})
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "close", id, 0, []byte{})
	gas.InvokeFail(t, "channel closed", "transfer", v.guest.ScriptHash(), v.hash, 50, []any{"topup", id, 0})
}
