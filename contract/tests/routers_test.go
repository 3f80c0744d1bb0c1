package tests

import (
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
	"github.com/stretchr/testify/require"
)

func TestRegisterRouter(t *testing.T) {
	v := newEnv(t)
	st, err := v.inv(v.owner).TestInvoke(t, "getRouter", v.router.PublicKey().Bytes())
	require.NoError(t, err)
	r := st.Pop().Array()
	require.Equal(t, v.owner.ScriptHash().BytesBE(), r[0].Value())
	require.Equal(t, true, r[1].Value())

	key := newKey(t)
	pub := key.PublicKey().Bytes()
	o := v.owner.ScriptHash()
	until, sig := v.claim(t, key, o)
	other := v.e.NewAccount(t)
	inv := v.inv(v.owner)
	t.Run("no owner witness", func(t *testing.T) {
		v.inv(other).InvokeFail(t, "owner witness missing", "registerRouter", o, pub, until, sig)
	})
	t.Run("claim signed by another key", func(t *testing.T) {
		_, forged := v.claim(t, newKey(t), o)
		inv.InvokeFail(t, "bad claim signature", "registerRouter", o, pub, until, forged)
	})
	t.Run("claim for another owner", func(t *testing.T) {
		// Someone who saw the claim cannot register the router to themselves.
		v.inv(other).InvokeFail(t, "bad claim signature", "registerRouter", other.ScriptHash(), pub, until, sig)
	})
	t.Run("claim for another time", func(t *testing.T) {
		inv.InvokeFail(t, "bad claim signature", "registerRouter", o, pub, until+1, sig)
	})
	t.Run("claim expired", func(t *testing.T) {
		past := v.now(t) - 1
		old := key.Sign(qlinkmsg.Claim(v.magic(), v.hash, pub, o, uint64(past)))
		inv.InvokeFail(t, "claim expired", "registerRouter", o, pub, past, old)
	})
	t.Run("bad key", func(t *testing.T) {
		inv.InvokeFail(t, "33-byte compressed", "registerRouter", o, pub[:32], until, sig)
	})
	t.Run("bad owner", func(t *testing.T) {
		inv.InvokeFail(t, "20-byte script hash", "registerRouter", o.BytesBE()[:19], pub, until, sig)
	})
	t.Run("twice", func(t *testing.T) {
		u, s := v.claim(t, v.router, o)
		inv.InvokeFail(t, "already registered", "registerRouter", o, v.router.PublicKey().Bytes(), u, s)
	})
	t.Run("unknown reads null", func(t *testing.T) {
		inv.Invoke(t, stackitem.Null{}, "getRouter", pub)
	})
	h := inv.Invoke(t, stackitem.Null{}, "registerRouter", o, pub, until, sig)
	ev := v.event(t, h, "RouterRegistered")
	require.Equal(t, pub, ev[0].Value())
	require.Equal(t, o.BytesBE(), ev[1].Value())
}

func TestRetireRouter(t *testing.T) {
	v := newEnv(t)
	pub := v.router.PublicKey().Bytes()
	v.inv(v.e.NewAccount(t)).InvokeFail(t, "owner witness missing", "retireRouter", pub)
	v.inv(v.owner).InvokeFail(t, "unknown router", "retireRouter", newKey(t).PublicKey().Bytes())
	ev := v.event(t, v.inv(v.owner).Invoke(t, stackitem.Null{}, "retireRouter", pub), "RouterRetired")
	require.Equal(t, v.owner.ScriptHash().BytesBE(), ev[1].Value())
	v.inv(v.owner).InvokeFail(t, "router retired", "retireRouter", pub)
	st, err := v.inv(v.owner).TestInvoke(t, "getRouter", pub)
	require.NoError(t, err)
	require.Equal(t, false, st.Pop().Array()[1].Value())
	v.e.NewInvoker(v.gas, v.guest).InvokeFail(t, "router retired", "transfer",
		v.guest.ScriptHash(), v.hash, 100, v.openData(newKey(t), v.now(t)+60000))
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
