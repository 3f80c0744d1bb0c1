package tests

import (
	"math/big"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestClose(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+60000)
	o := v.owner.ScriptHash()
	v.inv(v.owner).Invoke(t, 500, "redeem", id, 500, v.voucher(voucher, id, 500))
	v.inv(v.guest).InvokeFail(t, "owner witness missing", "close", id, 600, v.voucher(voucher, id, 600), o)
	other := v.open(t, voucher, 1000, v.now(t)+60000)
	refusals := redeemRefusals(v, t, id, other, voucher, newKey(t))
	// Closing at what was redeemed is no refusal: it needs no voucher.
	delete(refusals, "stale: same amount")
	for name, c := range refusals {
		t.Run(name, func(t *testing.T) { v.inv(v.owner).InvokeFail(t, c.msg, "close", id, c.amount, c.sig, o) })
	}
	guest0, owner0 := v.gasBalance(v.guest.ScriptHash()), v.gasBalance(o)
	// A gateway pays the fees; the owner only co-signs.
	h := v.e.NewInvoker(v.hash, v.e.NewAccount(t), v.owner).Invoke(t, stackitem.Null{}, "close",
		id, 700, v.voucher(voucher, id, 700), o)
	ev := v.event(t, h, "ChannelClosed")
	require.EqualValues(t, 700, bigInt(ev[1]))
	require.EqualValues(t, 200, bigInt(ev[2]))
	require.EqualValues(t, 300, bigInt(ev[3]))
	require.Equal(t, new(big.Int).Add(guest0, big.NewInt(300)), v.gasBalance(v.guest.ScriptHash()))
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(200)), v.gasBalance(o))
	require.Equal(t, big.NewInt(1000), v.gasBalance(v.hash), "only the other channel's deposit is left")
	ch := v.channel(t, id)
	require.EqualValues(t, 700, bigInt(ch[6]))
	require.Equal(t, true, ch[8].Value())
	v.inv(v.owner).InvokeFail(t, "channel closed", "close", id, 700, []byte{}, o)
	v.inv(v.owner).InvokeFail(t, "channel closed", "redeem", id, 800, v.voucher(voucher, id, 800))
	v.inv(v.guest).InvokeFail(t, "channel closed", "refund", id)
	v.inv(v.guest).InvokeFail(t, "unknown channel", "close", 99, 0, []byte{}, o)
}

// With amount equal to what was redeemed no voucher is needed: the guest
// gets the whole rest back.
func TestCloseWithoutVoucher(t *testing.T) {
	v := newEnv(t)
	id := v.open(t, newKey(t), 1000, v.now(t)+60000)
	guest0 := v.gasBalance(v.guest.ScriptHash())
	h := v.inv(v.owner).Invoke(t, stackitem.Null{}, "close", id, 0, []byte{}, v.owner.ScriptHash())
	require.Equal(t, 1, transfers(v, t, h))
	require.Equal(t, new(big.Int).Add(guest0, big.NewInt(1000)), v.gasBalance(v.guest.ScriptHash()))
}

func TestRefund(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+5000)
	v.inv(v.owner).Invoke(t, 250, "redeem", id, 250, v.voucher(voucher, id, 250))
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.advance(t, 5000)
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.advance(t, windowMs+1)
	v.inv(v.owner).InvokeFail(t, "settlement window over", "redeem", id, 300, v.voucher(voucher, id, 300))
	guest0 := v.gasBalance(v.guest.ScriptHash())
	// Anyone may trigger it; the guest is paid.
	h := v.inv(v.owner).Invoke(t, 750, "refund", id)
	ev := v.event(t, h, "ChannelRefunded")
	require.Equal(t, v.guest.ScriptHash().BytesBE(), ev[1].Value())
	require.EqualValues(t, 750, bigInt(ev[2]))
	require.Equal(t, new(big.Int).Add(guest0, big.NewInt(750)), v.gasBalance(v.guest.ScriptHash()))
	v.inv(v.guest).InvokeFail(t, "channel closed", "refund", id)
	ch := v.channel(t, id)
	require.Equal(t, true, ch[8].Value())
	require.EqualValues(t, 250, bigInt(ch[6]))
	v.inv(v.guest).InvokeFail(t, "unknown channel", "refund", 99)
}
