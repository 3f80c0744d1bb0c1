package tests

import (
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

// The gateway holds a closer key the owner authorised, never the owner's.
func TestCloser(t *testing.T) {
	v := newEnv(t)
	o := v.owner.ScriptHash()
	closer, stranger := v.e.NewAccount(t), v.e.NewAccount(t)
	c := closer.ScriptHash()
	voucher := newKey(t)
	first := v.open(t, voucher, 1000, v.now(t)+60000)
	second := v.open(t, voucher, 1000, v.now(t)+60000)

	v.inv(closer).InvokeFail(t, "closer not authorised", "close", first, 100, v.voucher(voucher, first, 100), c)
	v.inv(closer).InvokeFail(t, "owner witness missing", "setCloser", o, c, true)
	v.inv(v.owner).InvokeFail(t, "owner closes without being a closer", "setCloser", o, o, true)
	v.inv(v.owner).InvokeFail(t, "closer must be", "setCloser", o, c.BytesBE()[:4], true)
	v.inv(v.owner).Invoke(t, false, "isCloser", o, c)
	ev := v.event(t, v.inv(v.owner).Invoke(t, stackitem.Null{}, "setCloser", o, c, true), "CloserSet")
	require.Equal(t, c.BytesBE(), ev[1].Value())
	require.Equal(t, true, ev[2].Value())
	v.inv(v.owner).Invoke(t, true, "isCloser", o, c)

	t.Run("missing witness", func(t *testing.T) {
		v.inv(stranger).InvokeFail(t, "closer witness missing", "close", first, 100, v.voucher(voucher, first, 100), c)
	})
	t.Run("another owner's closer", func(t *testing.T) {
		v.inv(stranger).InvokeFail(t, "closer not authorised", "close", first, 100,
			v.voucher(voucher, first, 100), stranger.ScriptHash())
	})
	h := v.inv(closer).Invoke(t, stackitem.Null{}, "close", first, 100, v.voucher(voucher, first, 100), c)
	require.EqualValues(t, 900, bigInt(v.event(t, h, "ChannelClosed")[3]))

	ev = v.event(t, v.inv(v.owner).Invoke(t, stackitem.Null{}, "setCloser", o, c, false), "CloserSet")
	require.Equal(t, false, ev[2].Value())
	v.inv(v.owner).Invoke(t, false, "isCloser", o, c)
	v.inv(closer).InvokeFail(t, "closer not authorised", "close", second, 100, v.voucher(voucher, second, 100), c)
}
