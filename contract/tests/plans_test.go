package tests

import (
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

// A channel keeps the plan version it was opened under; new channels must
// name the version on offer now.
func TestPlanVersions(t *testing.T) {
	v := newEnv(t)
	o := v.owner.ScriptHash()
	v1 := planTerms(0, 1<<62, "hourly")
	// Two plans published in one transaction, as the owner's page does.
	two := planTerms(0, 1<<62, "daily")
	h := v.inv(v.owner).InvokeAndCheck(t, nil, "publishPlan", o, 2, two)
	require.EqualValues(t, 2, bigInt(v.event(t, h, "PlanPublished")[1]))
	require.EqualValues(t, 1, bigInt(v.event(t, h, "PlanPublished")[2]))

	voucher := newKey(t)
	old := v.open(t, voucher, 1000, v.now(t)+60000)
	v2 := planTerms(0, 1<<62, "hourly, cheaper")
	require.EqualValues(t, 2, v.publish(t, v.owner, 1, v2))
	ch := v.channel(t, old)
	require.EqualValues(t, 1, bigInt(ch[9]))
	require.EqualValues(t, 1, bigInt(ch[10]), "a channel opened under v1 stays on v1")

	stale := v.openData(voucher, v.now(t)+60000)
	v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "plan changed", "transfer", v.guest.ScriptHash(), v.hash, 1000, stale)
	fresh := v.openData(voucher, v.now(t)+60000)
	fresh[5] = 2
	id := v.openWith(t, v.guest, fresh, 1000)
	require.EqualValues(t, 2, bigInt(v.channel(t, id)[10]))

	st, err := v.inv(v.guest).TestInvoke(t, "getPlan", o, 1)
	require.NoError(t, err)
	p := st.Pop().Array()
	require.EqualValues(t, 2, bigInt(p[0]))
	require.EqualValues(t, 0, bigInt(p[1]))
	require.EqualValues(t, int64(1)<<62, bigInt(p[2]))
	require.Equal(t, v2, p[3].Value())
	v.inv(v.guest).Invoke(t, stackitem.NewByteArray(v1), "getPlanVersion", o, 1, 1)
	v.inv(v.guest).Invoke(t, stackitem.NewByteArray(v2), "getPlanVersion", o, 1, 2)
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getPlanVersion", o, 1, 3)
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getPlanVersion", o, 1, 0)
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getPlan", o, 3)
	v.inv(v.guest).Invoke(t, stackitem.Null{}, "getPlan", v.guest.ScriptHash(), 1)
}

func TestPlanNotOnOffer(t *testing.T) {
	v := newEnv(t)
	now := uint64(v.now(t))
	voucher := newKey(t)
	open := func(t *testing.T, version int64) {
		data := v.openData(voucher, v.now(t)+60000)
		data[5] = version
		v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "plan not on offer", "transfer", v.guest.ScriptHash(), v.hash, 1000, data)
	}
	t.Run("not yet valid", func(t *testing.T) {
		open(t, v.publish(t, v.owner, 1, planTerms(now+1_000_000, now+2_000_000, "later")))
	})
	t.Run("expired", func(t *testing.T) {
		version := v.publish(t, v.owner, 1, planTerms(0, now+5, "soon over"))
		v.advance(t, 1000)
		open(t, version)
	})
	t.Run("withdrawn", func(t *testing.T) {
		// Withdrawing is publishing a version that ends now.
		open(t, v.publish(t, v.owner, 1, planTerms(0, uint64(v.now(t)), "withdrawn")))
	})
}

func TestPublishPlanRefusals(t *testing.T) {
	v := newEnv(t)
	o := v.owner.ScriptHash()
	good := planTerms(0, 1<<62, "hourly")
	wrongFormat := append([]byte{2}, good[1:]...)
	backwards := planTerms(5000, 5000, "backwards")
	topBit := planTerms(0, 1<<63, "top bit")
	fromTopBit := planTerms(1<<63, 1<<63+1, "top bit")
	cases := map[string]struct {
		id    int64
		terms []byte
		msg   string
	}{
		"short":               {1, good[:55], "56 to 1024 bytes"},
		"long":                {1, append(good, make([]byte, 1025-len(good))...), "56 to 1024 bytes"},
		"wrong format":        {1, wrongFormat, "unknown plan terms format"},
		"until not after":     {1, backwards, "validUntil must be after validFrom"},
		"until top bit set":   {1, topBit, "validity times out of range"},
		"from top bit set":    {1, fromTopBit, "validity times out of range"},
		"plan id 0":           {0, good, "plan id must be"},
		"plan id 256":         {256, good, "plan id must be"},
		"minimum length (ok)": {1, good[:56], ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.msg == "" {
				v.inv(v.owner).InvokeAndCheck(t, nil, "publishPlan", o, c.id, c.terms)
				return
			}
			v.inv(v.owner).InvokeFail(t, c.msg, "publishPlan", o, c.id, c.terms)
		})
	}
	v.inv(v.guest).InvokeFail(t, "owner witness missing", "publishPlan", o, 1, good)
	v.inv(v.guest).InvokeFail(t, "owner must be", "publishPlan", o.BytesBE()[:5], 1, good)
}
