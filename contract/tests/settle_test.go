package tests

import (
	"math/big"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
	"github.com/stretchr/testify/require"
)

func TestRedeemPaysOnlyTheRise(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	id := v.open(t, voucher, 10_0000_0000, v.now(t)+60000)
	gateway := v.e.NewAccount(t)
	owner0 := v.gasBalance(v.owner.ScriptHash())
	h := v.inv(gateway).Invoke(t, 3_0000_0000, "redeem", id, 3_0000_0000, v.voucher(voucher, id, 3_0000_0000))
	ev := v.event(t, h, "ChannelRedeemed")
	require.Equal(t, v.owner.ScriptHash().BytesBE(), ev[1].Value())
	require.EqualValues(t, 3_0000_0000, bigInt(ev[2]))
	require.EqualValues(t, 3_0000_0000, bigInt(ev[3]))
	v.inv(gateway).Invoke(t, 4_5000_0000, "redeem", id, 7_5000_0000, v.voucher(voucher, id, 7_5000_0000))
	// The gateway paid the fees, so the owner got exactly the voucher total.
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(7_5000_0000)), v.gasBalance(v.owner.ScriptHash()))
	require.Equal(t, big.NewInt(2_5000_0000), v.gasBalance(v.hash))
	require.EqualValues(t, 7_5000_0000, bigInt(v.channel(t, id)[6]))
}

// redeemRefusals are the vouchers no redeem or close may take: stale,
// foreign (another channel, contract or network), over the deposit, or
// signed by a key that is not the channel's.
func redeemRefusals(v *env, t *testing.T, id, other int64, good, forger interface{ Sign([]byte) []byte }) map[string]struct {
	amount int64
	sig    []byte
	msg    string
} {
	m := v.magic()
	sign := func(msg []byte) []byte { return good.Sign(msg) }
	return map[string]struct {
		amount int64
		sig    []byte
		msg    string
	}{
		"stale: lowered":         {400, sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 400)), "not above what was redeemed"},
		"stale: same amount":     {500, sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 500)), "not above what was redeemed"},
		"over deposit":           {1001, sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 1001)), "above deposit"},
		"wrong key":              {600, forger.Sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 600)), "bad voucher signature"},
		"foreign: channel":       {600, sign(qlinkmsg.Voucher(m, v.hash, uint64(other), 600)), "bad voucher signature"},
		"foreign: contract":      {600, sign(qlinkmsg.Voucher(m, util.Uint160{1, 2, 3}, uint64(id), 600)), "bad voucher signature"},
		"foreign: network magic": {600, sign(qlinkmsg.Voucher(m+1, v.hash, uint64(id), 600)), "bad voucher signature"},
		"other amount":           {700, sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 600)), "bad voucher signature"},
		"short signature":        {600, sign(qlinkmsg.Voucher(m, v.hash, uint64(id), 600))[:63], "bad voucher signature"},
	}
}

func TestRedeemRefusals(t *testing.T) {
	v := newEnv(t)
	voucher, forger := newKey(t), newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+60000)
	other := v.open(t, voucher, 1000, v.now(t)+60000)
	inv := v.inv(v.guest)
	inv.Invoke(t, 500, "redeem", id, 500, v.voucher(voucher, id, 500))
	for name, c := range redeemRefusals(v, t, id, other, voucher, forger) {
		t.Run(name, func(t *testing.T) { inv.InvokeFail(t, c.msg, "redeem", id, c.amount, c.sig) })
	}
	inv.InvokeFail(t, "unknown channel", "redeem", 99, 1, v.voucher(voucher, 99, 1))
	v.advance(t, 60000+windowMs+1)
	inv.InvokeFail(t, "settlement window over", "redeem", id, 600, v.voucher(voucher, id, 600))
}

func TestRedeemInsideWindow(t *testing.T) {
	v := newEnv(t)
	voucher := newKey(t)
	id := v.open(t, voucher, 1000, v.now(t)+1000)
	v.advance(t, 1000+windowMs/2)
	v.inv(v.guest).InvokeFail(t, "refund opens after", "refund", id)
	v.inv(v.owner).Invoke(t, 10, "redeem", id, 10, v.voucher(voucher, id, 10))
}

func transfers(v *env, t *testing.T, h util.Uint256) int {
	n := 0
	for _, ev := range v.e.GetTxExecResult(t, h).Events {
		if ev.Name == "Transfer" {
			n++
		}
	}
	return n
}

func TestRedeemBatch(t *testing.T) {
	v := newEnv(t)
	var items []any
	for i := range 3 {
		key := newKey(t)
		id := v.open(t, key, 1000, v.now(t)+60000)
		items = append(items, []any{id, int64(100 * (i + 1)), v.voucher(key, id, int64(100*(i+1)))})
	}
	owner0 := v.gasBalance(v.owner.ScriptHash())
	h := v.inv(v.guest).Invoke(t, 600, "redeemBatch", items)
	require.Equal(t, new(big.Int).Add(owner0, big.NewInt(600)), v.gasBalance(v.owner.ScriptHash()))
	require.Equal(t, 1, transfers(v, t, h), "one payout per owner and token")
	// All or nothing: one stale voucher faults the whole batch.
	key := newKey(t)
	fresh := v.open(t, key, 1000, v.now(t)+60000)
	bad := []any{[]any{fresh, int64(5), v.voucher(key, fresh, 5)}, items[0]}
	v.inv(v.guest).InvokeFail(t, "not above what was redeemed", "redeemBatch", bad)
	require.EqualValues(t, 0, bigInt(v.channel(t, fresh)[6]))
	v.inv(v.guest).InvokeFail(t, "voucher item wants", "redeemBatch", []any{[]any{fresh, int64(5)}})
}

// Each (owner, token) is paid once, whatever the order of the items.
func TestRedeemBatchTwoOwners(t *testing.T) {
	v := newEnv(t)
	owner2, router2 := v.e.NewAccount(t), newKey(t)
	v.register(t, owner2, router2)
	v.publish(t, owner2, 1, planTerms(0, 1<<62, "other"))
	var items []any
	for i := range 4 {
		key := newKey(t)
		data := v.openData(key, v.now(t)+60000)
		if i%2 == 1 {
			data[1] = router2.PublicKey().Bytes()
		}
		id := v.openWith(t, v.guest, data, 1000)
		items = append(items, []any{id, int64(10), v.voucher(key, id, 10)})
	}
	a0, b0 := v.gasBalance(v.owner.ScriptHash()), v.gasBalance(owner2.ScriptHash())
	h := v.inv(v.guest).Invoke(t, 40, "redeemBatch", items)
	require.Equal(t, 2, transfers(v, t, h))
	require.Equal(t, new(big.Int).Add(a0, big.NewInt(20)), v.gasBalance(v.owner.ScriptHash()))
	require.Equal(t, new(big.Int).Add(b0, big.NewInt(20)), v.gasBalance(owner2.ScriptHash()))
}
