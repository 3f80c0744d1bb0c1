package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/convert"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/crypto"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Domain tags are 16 bytes so that a voucher can never be replayed as an
// anchor (or the other way round) and the layouts stay fixed-width.
const (
	voucherTag = "qlink-voucher-v1"
	anchorTag  = "qlink-anchor-v1\x00"
)

// VoucherMessage returns the 56 bytes a guest signs for a cumulative amount
// on a channel of this contract on this network (layout in README.md).
func VoucherMessage(id int, amount int) []byte {
	if id <= 0 || amount < 0 || amount > maxAmount {
		panic("qlink: voucher fields out of range")
	}
	m := append([]byte(voucherTag), convert.Uint32ToBytesLE(uint32(runtime.GetNetwork()))...)
	m = append(m, runtime.GetExecutingScriptHash()...)
	m = append(m, convert.Uint64ToBytesLE(uint64(id))...)
	return append(m, convert.Uint64ToBytesLE(uint64(amount))...)
}

// AnchorMessage returns the 145 bytes a router signs for one usage batch;
// its SHA-256 is the batch hash the next batch must name as previous.
func AnchorMessage(router interop.PublicKey, seq int, prev interop.Hash256, root interop.Hash256) []byte {
	checkKey(router, "router")
	if seq <= 0 || seq > maxAmount {
		panic("qlink: sequence out of range")
	}
	if len(prev) != interop.Hash256Len || len(root) != interop.Hash256Len {
		panic("qlink: previous hash and root must be 32 bytes")
	}
	m := append([]byte(anchorTag), convert.Uint32ToBytesLE(uint32(runtime.GetNetwork()))...)
	m = append(m, runtime.GetExecutingScriptHash()...)
	m = append(m, router...)
	m = append(m, convert.Uint64ToBytesLE(uint64(seq))...)
	m = append(m, prev...)
	return append(m, root...)
}

func checkSig(msg []byte, key interop.PublicKey, sig interop.Signature) bool {
	if len(sig) != interop.SignatureLen {
		return false
	}
	return crypto.VerifyWithECDsa(msg, key, sig, crypto.Secp256r1Sha256)
}
