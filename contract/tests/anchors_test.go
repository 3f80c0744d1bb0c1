package tests

import (
	"math/big"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestAnchorChain(t *testing.T) {
	v := newEnv(t)
	pub := v.router.PublicKey()
	zero := make([]byte, 32)
	root1, root2 := sha([]byte("batch 1")), sha([]byte("batch 2"))
	m1 := anchorMessage(v.magic(), v.hash, pub, 1, zero, root1)
	gateway := v.e.NewAccount(t)
	inv := v.inv(gateway)

	head, err := inv.TestInvoke(t, "getAnchorHead", pub.Bytes())
	require.NoError(t, err)
	require.EqualValues(t, 0, head.Pop().Array()[0].Value().(*big.Int).Int64())

	inv.Invoke(t, stackitem.NewBuffer(m1), "anchorMessage", pub.Bytes(), 1, zero, root1)
	h := inv.Invoke(t, stackitem.Null{}, "anchorBatch", pub.Bytes(), 1, zero, root1, sign(v.router, m1))
	ev := v.event(t, h, "BatchAnchored")
	require.Equal(t, sha(m1), ev[3].Value())

	m2 := anchorMessage(v.magic(), v.hash, pub, 2, sha(m1), root2)
	forger, _ := newKey(t)
	t.Run("bad signature", func(t *testing.T) {
		inv.InvokeFail(t, "bad router signature", "anchorBatch", pub.Bytes(), 2, sha(m1), root2, sign(forger, m2))
	})
	t.Run("signature over other root", func(t *testing.T) {
		inv.InvokeFail(t, "bad router signature", "anchorBatch", pub.Bytes(), 2, sha(m1), root1, sign(v.router, m2))
	})
	t.Run("replayed sequence", func(t *testing.T) {
		inv.InvokeFail(t, "out of order", "anchorBatch", pub.Bytes(), 1, zero, root1, sign(v.router, m1))
	})
	t.Run("skipped sequence", func(t *testing.T) {
		m3 := anchorMessage(v.magic(), v.hash, pub, 3, sha(m1), root2)
		inv.InvokeFail(t, "out of order", "anchorBatch", pub.Bytes(), 3, sha(m1), root2, sign(v.router, m3))
	})
	t.Run("wrong previous hash", func(t *testing.T) {
		bad := anchorMessage(v.magic(), v.hash, pub, 2, root1, root2)
		inv.InvokeFail(t, "previous hash does not match", "anchorBatch", pub.Bytes(), 2, root1, root2, sign(v.router, bad))
	})
	t.Run("short root", func(t *testing.T) {
		inv.InvokeFail(t, "must be 32 bytes", "anchorBatch", pub.Bytes(), 2, sha(m1), root2[:31], sign(v.router, m2))
	})
	t.Run("unknown router", func(t *testing.T) {
		fm := anchorMessage(v.magic(), v.hash, forger.PublicKey(), 1, zero, root1)
		inv.InvokeFail(t, "unknown router", "anchorBatch", forger.PublicKey().Bytes(), 1, zero, root1, sign(forger, fm))
	})
	inv.Invoke(t, stackitem.Null{}, "anchorBatch", pub.Bytes(), 2, sha(m1), root2, sign(v.router, m2))

	st, err := inv.TestInvoke(t, "getAnchor", pub.Bytes(), 2)
	require.NoError(t, err)
	a := st.Pop().Array()
	require.Equal(t, sha(m1), a[2].Value())
	require.Equal(t, root2, a[3].Value())
	require.Equal(t, sha(m2), a[4].Value())
	head, err = inv.TestInvoke(t, "getAnchorHead", pub.Bytes())
	require.NoError(t, err)
	require.EqualValues(t, 2, head.Pop().Array()[0].Value().(*big.Int).Int64())
	inv.Invoke(t, stackitem.Null{}, "getAnchor", pub.Bytes(), 3)

	v.inv(v.owner).Invoke(t, stackitem.Null{}, "retireRouter", pub.Bytes())
	m3 := anchorMessage(v.magic(), v.hash, pub, 3, sha(m2), root1)
	inv.InvokeFail(t, "router retired", "anchorBatch", pub.Bytes(), 3, sha(m2), root1, sign(v.router, m3))
}
