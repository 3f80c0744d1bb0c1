package tests

import (
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestAnchorRounds(t *testing.T) {
	v := newEnv(t)
	gw := v.e.NewAccount(t)
	a := gw.ScriptHash()
	inv := v.inv(gw)
	zero := make([]byte, 32)
	root1, root2 := sha([]byte("round 1")), sha([]byte("round 2"))
	round := func(t *testing.T, who []byte, n int64, root []byte) {
		st, err := inv.TestInvoke(t, "getRound", who)
		require.NoError(t, err)
		r := st.Pop().Array()
		require.EqualValues(t, n, bigInt(r[0]))
		require.Equal(t, root, r[1].Value())
	}
	round(t, a.BytesBE(), 0, zero)

	h := inv.Invoke(t, stackitem.Null{}, "anchorRound", a, 1, root1)
	ev := v.event(t, h, "RoundAnchored")
	require.Equal(t, a.BytesBE(), ev[0].Value())
	require.EqualValues(t, 1, bigInt(ev[1]))
	require.Equal(t, root1, ev[2].Value())
	round(t, a.BytesBE(), 1, root1)

	t.Run("replayed round", func(t *testing.T) {
		inv.InvokeFail(t, "round out of order", "anchorRound", a, 1, root2)
	})
	t.Run("skipped round", func(t *testing.T) {
		inv.InvokeFail(t, "round out of order", "anchorRound", a, 3, root2)
	})
	t.Run("wrong witness", func(t *testing.T) {
		v.inv(v.guest).InvokeFail(t, "anchorer witness missing", "anchorRound", a, 2, root2)
	})
	t.Run("short root", func(t *testing.T) {
		inv.InvokeFail(t, "root must be 32 bytes", "anchorRound", a, 2, root2[:31])
	})
	t.Run("bad anchorer", func(t *testing.T) {
		inv.InvokeFail(t, "anchorer must be", "anchorRound", a.BytesBE()[:19], 2, root2)
	})
	inv.Invoke(t, stackitem.Null{}, "anchorRound", a, 2, root2)
	round(t, a.BytesBE(), 2, root2)
	// Each anchorer has its own sequence.
	other := v.e.NewAccount(t)
	v.inv(other).Invoke(t, stackitem.Null{}, "anchorRound", other.ScriptHash(), 1, root2)
	round(t, v.guest.ScriptHash().BytesBE(), 0, zero)
}
