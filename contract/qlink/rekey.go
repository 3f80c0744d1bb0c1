package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/contract"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/crypto"
	"github.com/nspcc-dev/neo-go/pkg/interop/neogointernal"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Longest salt taken: NeoLine's is 32 hex characters.
const maxSalt = 64

// Rekey names a new voucher key for an open channel whose guest lost the
// old one, so nothing is paid twice. Vouchers from then on verify against
// newKey. proof is null (the guest witnesses the transaction; a sponsor
// may pay it) or [guestPublicKey, salt, signature]: a wallet signMessage
// over the hex of RekeyMessage(id, newKey) by the key of the guest account.
func Rekey(id int, newKey interop.PublicKey, proof []any) {
	checkKey(string(newKey), "new key")
	rec := channelRecord(id)
	if channelState(id)&1 == 1 {
		panic("qlink: channel closed")
	}
	guest := hashAt(rec, offGuest)
	if proof == nil {
		if !runtime.CheckWitness(guest) {
			panic("qlink: guest witness missing")
		}
	} else {
		checkRekeyProof(id, rec, newKey, guest, proof)
	}
	put(id, cat(cat(left(rec, offVoucherKey), newKey),
		sub(rec, offDeposit, len(rec)-offDeposit)))
	runtime.Notify("ChannelRekeyed", id, newKey)
}

func checkRekeyProof(id int, rec string, newKey interop.PublicKey, guest interop.Hash160, proof []any) {
	if len(proof) != 3 {
		panic("qlink: rekey proof wants [guestPublicKey, salt, signature]")
	}
	pub, salt, sig := proof[0].(string), proof[1].(string), proof[2].(string)
	checkKey(pub, "guest public key")
	if len(salt) > maxSalt {
		panic("qlink: salt too long")
	}
	// The account a standard wallet derives from the key (its single-key
	// verification script's hash) must be the channel's guest.
	acc := neogointernal.Syscall1("System.Contract.CreateStandardAccount", pub).(string)
	if acc != asBytes(guest) {
		panic("qlink: proof key is not the guest's")
	}
	text := rekeyStatement(rekeyMessage(id, rec, newKey))
	ok := neogointernal.CallWithToken(crypto.Hash, "verifyWithECDsa", int(contract.NoneFlag),
		signedMessage(salt, text), pub, sig, crypto.Secp256r1Sha256).(bool)
	if len(sig) != interop.SignatureLen || !ok {
		panic("qlink: bad rekey signature")
	}
}
