package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/contract"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/crypto"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/std"
	"github.com/nspcc-dev/neo-go/pkg/interop/neogointernal"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Domain tags are 16 bytes, so no message can be replayed as another kind
// and every layout stays fixed-width.
const (
	voucherTag = "qlink-voucher-v1"
	claimTag   = "qlink-claim-v1\x00\x00"
	rekeyTag   = "qlink-rekey-v1\x00\x00"
)

// prefix is tag ‖ network magic u32le ‖ contract hash (VM order): the 40
// bytes that bind a message to this deployment on this network. Hot paths
// build it once per call.
func prefix(tag string) []byte {
	return cat(cat(tag, fixed(runtime.GetNetwork(), 4)), runtime.GetExecutingScriptHash())
}

// voucher appends channel id u64le ‖ amount u64le to a voucher prefix with
// one CAT: both fields and a sentinel above them are one integer.
func voucher(pre []byte, id, amount int) []byte {
	one := 1
	return left(cat(pre, id|amount<<b64|one<<b128), 56)
}

// VoucherMessage returns the 56 bytes a guest signs for a cumulative amount
// on a channel of this contract on this network.
func VoucherMessage(id int, amount int) []byte {
	if id <= 0 || id > maxAmount || amount < 0 || amount > maxAmount {
		panic("qlink: voucher fields out of range")
	}
	return voucher(prefix(voucherTag), id, amount)
}

// ClaimMessage returns the 101 bytes a router signs to let owner register
// it until claimUntil. The owner is in it so that nobody who sees the claim
// (on the LAN, or in the mempool) can register the router to themselves.
func ClaimMessage(router interop.PublicKey, owner interop.Hash160, claimUntil int) []byte {
	checkKey(string(router), "router")
	checkHash160(string(owner), "owner")
	if claimUntil < 0 || claimUntil > maxAmount {
		panic("qlink: claim time out of range")
	}
	return cat(cat(cat(prefix(claimTag), router), owner), fixed(claimUntil, 8))
}

// RekeyMessage returns the 114 bytes a guest signs to move channel id from
// its current voucher key to newKey. The current key is in it, so a proof
// works once: replayed after a later rekey, it names a key no longer there.
func RekeyMessage(id int, newKey interop.PublicKey) []byte {
	checkKey(string(newKey), "new key")
	return rekeyMessage(id, channelRecord(id), newKey)
}

func rekeyMessage(id int, rec string, newKey interop.PublicKey) []byte {
	return cat(cat(cat(prefix(rekeyTag), fixed(id, 8)), keyAt(rec, offVoucherKey)), newKey)
}

// signedMessage is what NEO wallets' signMessage signs for a text:
// 0x01 0x00 0x01 0xf0 ‖ varint(len) ‖ salt ‖ text ‖ 0x00 0x00, salt being
// the 32 hex characters the wallet returns (empty for the salt-less call).
func signedMessage(salt string, text string) []byte {
	n := len(salt) + len(text)
	var size []byte
	if n < 0xfd {
		size = fixed(n, 1)
	} else {
		size = cat("\xfd", fixed(n, 2))
	}
	return cat(cat(cat(cat("\x01\x00\x01\xf0", size), salt), text), "\x00\x00")
}

// rekeyStatement is the text a wallet signs for a rekey: the rekey
// message in lowercase hex, since wallets sign strings.
func rekeyStatement(msg []byte) string {
	return std.HexEncode(msg)
}

// checkSig calls CryptoLib directly: the wrapper's typed key parameter
// would cost a CONVERT for a key read out of a record.
func checkSig(msg []byte, key any, sig interop.Signature) bool {
	if len(sig) != interop.SignatureLen {
		return false
	}
	return neogointernal.CallWithToken(crypto.Hash, "verifyWithECDsa", int(contract.NoneFlag),
		msg, key, sig, crypto.Secp256r1Sha256).(bool)
}
