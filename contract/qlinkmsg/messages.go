// Package qlinkmsg builds, off chain, the bytes the qlink contract checks:
// the signed messages (voucher, claim, rekey), the wallet signMessage
// wrapping, and plan terms. The tests, the fee tool and any Go client share
// it; contract/README.md documents the same layouts for other languages.
package qlinkmsg

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/nspcc-dev/neo-go/pkg/io"
	"github.com/nspcc-dev/neo-go/pkg/util"
)

// Domain tags, 16 bytes each.
const (
	VoucherTag = "qlink-voucher-v1"
	ClaimTag   = "qlink-claim-v1\x00\x00"
	RekeyTag   = "qlink-rekey-v1\x00\x00"
)

func prefix(tag string, magic uint32, contract util.Uint160) []byte {
	m := []byte(tag)
	m = binary.LittleEndian.AppendUint32(m, magic)
	return append(m, contract.BytesBE()...) // VM order
}

// Voucher is the 56-byte message a guest signs for a cumulative amount.
func Voucher(magic uint32, contract util.Uint160, id, amount uint64) []byte {
	m := binary.LittleEndian.AppendUint64(prefix(VoucherTag, magic, contract), id)
	return binary.LittleEndian.AppendUint64(m, amount)
}

// Claim is the 101-byte message a router signs to let owner register it
// until claimUntil (ms).
func Claim(magic uint32, contract util.Uint160, router []byte, owner util.Uint160, claimUntil uint64) []byte {
	m := append(prefix(ClaimTag, magic, contract), router...)
	m = append(m, owner.BytesBE()...)
	return binary.LittleEndian.AppendUint64(m, claimUntil)
}

// Rekey is the 114-byte message that moves channel id from oldKey (its
// voucher key now) to newKey.
func Rekey(magic uint32, contract util.Uint160, id uint64, oldKey, newKey []byte) []byte {
	m := binary.LittleEndian.AppendUint64(prefix(RekeyTag, magic, contract), id)
	m = append(m, oldKey...)
	return append(m, newKey...)
}

// RekeyStatement is the text a wallet is asked to sign for a rekey.
func RekeyStatement(msg []byte) string { return hex.EncodeToString(msg) }

// SignedMessage is what a NEO wallet's signMessage signs for text with
// salt (NeoLine: 32 random hex characters; empty for the salt-less call):
// 0x01 0x00 0x01 0xf0 ‖ varint(len(salt)+len(text)) ‖ salt ‖ text ‖ 0x00 0x00.
func SignedMessage(salt, text string) []byte {
	w := io.NewBufBinWriter()
	w.WriteBytes([]byte{0x01, 0x00, 0x01, 0xf0})
	w.WriteVarBytes([]byte(salt + text))
	w.WriteBytes([]byte{0x00, 0x00})
	return w.Bytes()
}

// BatchAnchor is v1's 145-byte per-batch anchor message: tag
// "qlink-anchor-v1" 0x00 ‖ magic ‖ contract ‖ router key 33 ‖ seq u64 ‖
// prev 32 ‖ root 32. The v2 contract no longer checks it (rounds are
// anchored instead), but routers still sign each usage batch with it and
// chain batches by its SHA-256, and the gateway checks it off chain
// (agent/src/usage/format.ts); its vector stays in vectors.json.
func BatchAnchor(magic uint32, contract util.Uint160, router []byte, seq uint64, prev, root []byte) []byte {
	m := append(prefix("qlink-anchor-v1\x00", magic, contract), router...)
	m = binary.LittleEndian.AppendUint64(m, seq)
	m = append(m, prev...)
	return append(m, root...)
}
