package tests

import (
	"encoding/hex"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
	"github.com/stretchr/testify/require"
)

// proof is what a wallet's signMessage returns for the rekey of channel id
// from oldKey to newKey: [publicKey, salt, signature], the signature over
// the wrapped salt ‖ hex statement.
func (v *env) proof(signer *keys.PrivateKey, salt string, id int64, oldKey, newKey *keys.PrivateKey) []any {
	msg := qlinkmsg.Rekey(v.magic(), v.hash, uint64(id), oldKey.PublicKey().Bytes(), newKey.PublicKey().Bytes())
	wrapped := qlinkmsg.SignedMessage(salt, qlinkmsg.RekeyStatement(msg))
	return []any{signer.PublicKey().Bytes(), []byte(salt), signer.Sign(wrapped)}
}

func TestRekeyByWitness(t *testing.T) {
	v := newEnv(t)
	lost, fresh := newKey(t), newKey(t)
	id := v.open(t, lost, 1000, v.now(t)+60000)
	v.inv(v.e.NewAccount(t)).InvokeFail(t, "guest witness missing", "rekey", id, fresh.PublicKey().Bytes(), nil)
	v.inv(v.guest).InvokeFail(t, "new key must be", "rekey", id, fresh.PublicKey().Bytes()[:32], nil)
	v.inv(v.guest).InvokeFail(t, "unknown channel", "rekey", 99, fresh.PublicKey().Bytes(), nil)
	// A sponsor pays the fee; the guest only co-signs.
	h := v.inv(v.e.NewAccount(t), v.guest).Invoke(t, stackitem.Null{}, "rekey", id, fresh.PublicKey().Bytes(), nil)
	ev := v.event(t, h, "ChannelRekeyed")
	require.Equal(t, fresh.PublicKey().Bytes(), ev[1].Value())
	ch := v.channel(t, id)
	require.Equal(t, fresh.PublicKey().Bytes(), ch[4].Value())
	require.EqualValues(t, 1000, bigInt(ch[5]), "the rest of the record is untouched")
	require.EqualValues(t, 1, bigInt(ch[10]))
	v.inv(v.owner).InvokeFail(t, "bad voucher signature", "redeem", id, 10, v.voucher(lost, id, 10))
	v.inv(v.owner).Invoke(t, 10, "redeem", id, 10, v.voucher(fresh, id, 10))
}

func TestRekeyBySignedMessage(t *testing.T) {
	v := newEnv(t)
	guestKey := keyOf(v.guest)
	lost, fresh, later := newKey(t), newKey(t), newKey(t)
	id := v.open(t, lost, 1000, v.now(t)+60000)
	other := v.open(t, lost, 1000, v.now(t)+60000)
	salt := "0123456789abcdef0123456789abcdef" // NeoLine: 16 random bytes as hex
	nk := fresh.PublicKey().Bytes()
	// Anyone may send a proof: here a stranger relays it.
	inv := v.inv(v.e.NewAccount(t))
	msg, err := inv.TestInvoke(t, "rekeyMessage", id, nk)
	require.NoError(t, err)
	require.Equal(t, qlinkmsg.Rekey(v.magic(), v.hash, uint64(id), lost.PublicKey().Bytes(), nk), msg.Pop().Value())

	t.Run("wrong public key", func(t *testing.T) {
		p := v.proof(guestKey, salt, id, lost, fresh)
		p[0] = newKey(t).PublicKey().Bytes()
		inv.InvokeFail(t, "proof key is not the guest's", "rekey", id, nk, p)
	})
	t.Run("wrong guest", func(t *testing.T) {
		// Another account's wallet signs a proof for this channel.
		inv.InvokeFail(t, "proof key is not the guest's", "rekey", id, nk, v.proof(newKey(t), salt, id, lost, fresh))
	})
	t.Run("signature by another key", func(t *testing.T) {
		p := v.proof(newKey(t), salt, id, lost, fresh)
		p[0] = guestKey.PublicKey().Bytes()
		inv.InvokeFail(t, "bad rekey signature", "rekey", id, nk, p)
	})
	t.Run("reused on another channel", func(t *testing.T) {
		inv.InvokeFail(t, "bad rekey signature", "rekey", other, nk, v.proof(guestKey, salt, id, lost, fresh))
	})
	t.Run("for another new key", func(t *testing.T) {
		inv.InvokeFail(t, "bad rekey signature", "rekey", id, later.PublicKey().Bytes(), v.proof(guestKey, salt, id, lost, fresh))
	})
	t.Run("other salt", func(t *testing.T) {
		p := v.proof(guestKey, salt, id, lost, fresh)
		p[1] = []byte("fedcba9876543210fedcba9876543210")
		inv.InvokeFail(t, "bad rekey signature", "rekey", id, nk, p)
	})
	t.Run("malformed", func(t *testing.T) {
		inv.InvokeFail(t, "rekey proof wants", "rekey", id, nk, []any{guestKey.PublicKey().Bytes(), []byte(salt)})
		inv.InvokeFail(t, "salt too long", "rekey", id, nk, v.proof(guestKey, salt+salt+"x", id, lost, fresh))
	})
	first := v.proof(guestKey, salt, id, lost, fresh)
	inv.Invoke(t, stackitem.Null{}, "rekey", id, nk, first)
	require.Equal(t, nk, v.channel(t, id)[4].Value())
	v.inv(v.owner).Invoke(t, 10, "redeem", id, 10, v.voucher(fresh, id, 10))

	// signMessageWithoutSalt: the salt is empty.
	inv.Invoke(t, stackitem.Null{}, "rekey", id, later.PublicKey().Bytes(), v.proof(guestKey, "", id, fresh, later))
	t.Run("replayed after a later rekey", func(t *testing.T) {
		inv.InvokeFail(t, "bad rekey signature", "rekey", id, nk, first)
	})
	v.inv(v.owner).Invoke(t, stackitem.Null{}, "close", id, 10, []byte{}, v.owner.ScriptHash())
	inv.InvokeFail(t, "channel closed", "rekey", id, nk, v.proof(guestKey, salt, id, later, fresh))
	v.inv(v.guest).InvokeFail(t, "channel closed", "rekey", id, nk, nil)
}

// The statement is lowercase hex, as wallets receive it.
func TestRekeyStatementIsLowercaseHex(t *testing.T) {
	m := qlinkmsg.Rekey(1, [20]byte{0xab}, 1, make([]byte, 33), make([]byte, 33))
	require.Equal(t, hex.EncodeToString(m), qlinkmsg.RekeyStatement(m))
	require.Len(t, m, 114)
}

// SignedMessage is NeoLine's signMessage wrapping (neo3-signature
// component): '010001f0' + num2VarInt(byte length) + hex(salt + message) +
// '0000', written here again from that formula.
func TestSignedMessageIsNeoLines(t *testing.T) {
	for _, c := range []struct{ salt, text, size string }{
		{"", "hello", "05"},
		{"0123456789abcdef0123456789abcdef", string(make([]byte, 228)), "fd0401"},
	} {
		want := "010001f0" + c.size + hex.EncodeToString([]byte(c.salt+c.text)) + "0000"
		require.Equal(t, want, hex.EncodeToString(qlinkmsg.SignedMessage(c.salt, c.text)))
	}
}
