package tests

import (
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

func TestRegisterRouter(t *testing.T) {
	v := newEnv(t)
	st, err := v.inv(v.owner).TestInvoke(t, "getRouter", v.router.PublicKey().Bytes())
	require.NoError(t, err)
	r := st.Pop().Array()
	require.Equal(t, v.owner.ScriptHash().BytesBE(), r[1].Value())
	require.EqualValues(t, 1000, r[2].Value().(interface{ Int64() int64 }).Int64())
	require.Equal(t, true, r[4].Value())

	key, ks := newKey(t)
	pub := key.PublicKey().Bytes()
	other := v.e.NewAccount(t)
	t.Run("no owner witness", func(t *testing.T) {
		v.inv(other, ks).InvokeFail(t, "owner witness missing", "registerRouter", v.owner.ScriptHash(), pub, 1, 1)
	})
	t.Run("no router witness", func(t *testing.T) {
		v.inv(v.owner).InvokeFail(t, "router witness missing", "registerRouter", v.owner.ScriptHash(), pub, 1, 1)
	})
	t.Run("bad key", func(t *testing.T) {
		v.inv(v.owner, ks).InvokeFail(t, "33-byte compressed", "registerRouter", v.owner.ScriptHash(), pub[:32], 1, 1)
	})
	t.Run("negative price", func(t *testing.T) {
		v.inv(v.owner, ks).InvokeFail(t, "prices out of range", "registerRouter", v.owner.ScriptHash(), pub, -1, 1)
	})
	t.Run("twice", func(t *testing.T) {
		v.inv(v.owner, v.rsign).InvokeFail(t, "already registered", "registerRouter",
			v.owner.ScriptHash(), v.router.PublicKey().Bytes(), 1, 1)
	})
	t.Run("unknown reads null", func(t *testing.T) {
		v.inv(v.owner).Invoke(t, stackitem.Null{}, "getRouter", pub)
	})
}

func TestUpdateAndRetireRouter(t *testing.T) {
	v := newEnv(t)
	pub := v.router.PublicKey().Bytes()
	other := v.e.NewAccount(t)
	v.inv(other).InvokeFail(t, "owner witness missing", "updateRouter", pub, 5, 5)
	h := v.inv(v.owner).Invoke(t, stackitem.Null{}, "updateRouter", pub, 7, 9)
	ev := v.event(t, h, "RouterUpdated")
	require.EqualValues(t, 7, ev[1].Value().(interface{ Int64() int64 }).Int64())

	v.inv(other).InvokeFail(t, "owner witness missing", "retireRouter", pub)
	v.event(t, v.inv(v.owner).Invoke(t, stackitem.Null{}, "retireRouter", pub), "RouterRetired")
	v.inv(v.owner).InvokeFail(t, "router retired", "updateRouter", pub, 5, 5)
	v.inv(v.owner).InvokeFail(t, "router retired", "retireRouter", pub)
	voucher, _ := newKey(t)
	v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "router retired", "transfer",
		v.guest.ScriptHash(), v.hash, 100, []any{"open", pub, voucher.PublicKey().Bytes(), v.now(t) + 60000})
}

func TestTokenAccepted(t *testing.T) {
	v := newEnv(t)
	neo := v.e.NativeHash(t, nativenames.Neo)
	o := v.owner.ScriptHash()
	v.inv(v.owner).Invoke(t, true, "isTokenAccepted", o, v.gas)
	v.inv(v.owner).Invoke(t, false, "isTokenAccepted", o, neo)
	v.inv(v.guest).InvokeFail(t, "owner witness missing", "setTokenAccepted", o, neo, true)
	v.inv(v.owner).InvokeFail(t, "GAS is always accepted", "setTokenAccepted", o, v.gas, false)
	h := v.inv(v.owner).Invoke(t, stackitem.Null{}, "setTokenAccepted", o, neo, true)
	require.Equal(t, true, v.event(t, h, "TokenAccepted")[2].Value())
	v.inv(v.owner).Invoke(t, true, "isTokenAccepted", o, neo)
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "setTokenAccepted", o, neo, false)
	v.inv(v.owner).Invoke(t, false, "isTokenAccepted", o, neo)
}
