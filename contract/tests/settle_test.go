package tests

import (
	"math/big"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestRedeemPaysOnlyTheRise(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	id := v.open(t, voucher, 10_0000_0000, v.now(t)+60000)
	gateway := v.e.NewAccount(t)
	owner0 := v.gasBalance(v.owner.ScriptHash())
	h := v.inv(gateway).Invoke(t, 3_0000_0000, "redeem", id, 3_0000_0000, v.voucher(voucher, id, 3_0000_0000))
	ev := v.event(t, h, "ChannelRedeemed")
	require.EqualValues(t, 3_0000_0000, ev[3].Value().(*big.Int).Int64())
	v.inv(gateway).Invoke(t, 4_5000_0000, "redeem", id, 7_5000_0000, v.voucher(voucher, id, 7_5000_0000))
	// The gateway paid the fees, so the owner got exactly the voucher total.
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(7_5000_0000)), v.gasBalance(v.owner.ScriptHash()))
	require.Equal(t, big.NewInt(2_5000_0000), v.gasBalance(v.hash))
	require.EqualValues(t, 7_5000_0000, v.channel(t, id)[7].Value().(*big.Int).Int64())
}

func TestRedeemRefusals(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	forger, _ := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+60000)
	other := v.open(t, voucher, 1000, v.now(t)+60000)
	inv := v.inv(v.guest)
	inv.Invoke(t, 500, "redeem", id, 500, v.voucher(voucher, id, 500))
	m := v.magic()
	cases := map[string]struct {
		amount int64
		sig    []byte
		msg    string
	}{
		"lowered":         {400, v.voucher(voucher, id, 400), "not above what was redeemed"},
		"same amount":     {500, v.voucher(voucher, id, 500), "not above what was redeemed"},
		"over deposit":    {1001, v.voucher(voucher, id, 1001), "above deposit"},
		"forged":          {600, v.voucher(forger, id, 600), "bad voucher signature"},
		"other channel":   {600, v.voucher(voucher, other, 600), "bad voucher signature"},
		"other contract":  {600, sign(voucher, voucherMessage(m, util.Uint160{1, 2, 3}, uint64(id), 600)), "bad voucher signature"},
		"other network":   {600, sign(voucher, voucherMessage(m+1, v.hash, uint64(id), 600)), "bad voucher signature"},
		"other amount":    {700, v.voucher(voucher, id, 600), "bad voucher signature"},
		"short signature": {600, v.voucher(voucher, id, 600)[:63], "bad voucher signature"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { inv.InvokeFail(t, c.msg, "redeem", id, c.amount, c.sig) })
	}
	inv.InvokeFail(t, "unknown channel", "redeem", 99, 1, v.voucher(voucher, 99, 1))
	v.advance(t, 60000+windowMs+1)
	inv.InvokeFail(t, "settlement window over", "redeem", id, 600, v.voucher(voucher, id, 600))
}

func TestRedeemInsideWindow(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+1000)
	v.advance(t, 1000+windowMs/2)
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.inv(v.owner).Invoke(t, 10, "redeem", id, 10, v.voucher(voucher, id, 10))
}

func TestRedeemBatch(t *testing.T) {
	v := newEnv(t)
	vk := make([]int64, 3)
	var items []any
	for i := range vk {
		key, _ := newKey(t)
		vk[i] = v.open(t, key, 1000, v.now(t)+60000)
		items = append(items, []any{vk[i], int64(100 * (i + 1)), v.voucher(key, vk[i], int64(100*(i+1)))})
	}
	owner0 := v.gasBalance(v.owner.ScriptHash())
	h := v.inv(v.guest).Invoke(t, 600, "redeemBatch", items)
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(600)), v.gasBalance(v.owner.ScriptHash()))
	transfers := 0
	for _, ev := range v.e.GetTxExecResult(t, h).Events {
		if ev.Name == "Transfer" {
			transfers++
		}
	}
	require.Equal(t, 1, transfers, "one payout per owner and token")
	// All or nothing: one stale voucher faults the whole batch.
	key, _ := newKey(t)
	fresh := v.open(t, key, 1000, v.now(t)+60000)
	bad := []any{[]any{fresh, int64(5), v.voucher(key, fresh, 5)}, items[0]}
	v.inv(v.guest).InvokeFail(t, "not above what was redeemed", "redeemBatch", bad)
	require.EqualValues(t, 0, v.channel(t, fresh)[7].Value().(*big.Int).Int64())
	v.inv(v.guest).InvokeFail(t, "voucher item wants", "redeemBatch", []any{[]any{fresh, int64(5)}})
}

func TestClose(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+60000)
	v.inv(v.owner).Invoke(t, 100, "redeem", id, 100, v.voucher(voucher, id, 100))
	v.inv(v.guest).InvokeFail(t, "owner witness missing", "close", id, 300, v.voucher(voucher, id, 300))
	v.inv(v.owner).InvokeFail(t, "not above what was redeemed", "close", id, 50, v.voucher(voucher, id, 50))
	v.inv(v.owner).InvokeFail(t, "bad voucher signature", "close", id, 300, v.voucher(voucher, id, 299))
	guest0 := v.gasBalance(v.guest.ScriptHash())
	owner0 := v.gasBalance(v.owner.ScriptHash())
	// A gateway pays the fees; the owner only co-signs.
	h := v.e.NewInvoker(v.hash, v.e.NewAccount(t), v.owner).Invoke(t, stackitem.Null{}, "close", id, 300, v.voucher(voucher, id, 300))
	ev := v.event(t, h, "ChannelClosed")
	require.EqualValues(t, 200, ev[2].Value().(*big.Int).Int64())
	require.EqualValues(t, 700, ev[3].Value().(*big.Int).Int64())
	require.Equal(t, new(big.Int).Add(guest0, big.NewInt(700)), v.gasBalance(v.guest.ScriptHash()))
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(200)), v.gasBalance(v.owner.ScriptHash()))
	require.Zero(t, v.gasBalance(v.hash).Sign())
	v.inv(v.owner).InvokeFail(t, "channel closed", "close", id, 300, []byte{})
	v.inv(v.owner).InvokeFail(t, "channel closed", "redeem", id, 400, v.voucher(voucher, id, 400))
	v.inv(v.guest).InvokeFail(t, "channel closed", "refund", id)
}

func TestRefund(t *testing.T) {
	v := newEnv(t)
	voucher, _ := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+5000)
	v.inv(v.owner).Invoke(t, 250, "redeem", id, 250, v.voucher(voucher, id, 250))
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.advance(t, 5000)
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.advance(t, windowMs+1)
	guest0 := v.gasBalance(v.guest.ScriptHash())
	// Anyone may trigger it; the guest is paid.
	h := v.inv(v.owner).Invoke(t, 750, "refund", id)
	require.EqualValues(t, 750, v.event(t, h, "ChannelRefunded")[2].Value().(*big.Int).Int64())
	require.Equal(t, new(big.Int).Add(guest0, big.NewInt(750)), v.gasBalance(v.guest.ScriptHash()))
	v.inv(v.guest).InvokeFail(t, "channel closed", "refund", id)
	require.Equal(t, true, v.channel(t, id)[9].Value())
}
