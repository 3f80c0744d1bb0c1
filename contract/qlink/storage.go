// Package qlink is the qlink-agent NEO N3 contract (layout v2): a router
// registry, owners' plans and closers, payment channels funded by NEP-17
// transfers and redeemed with guest-signed vouchers, and settlement-round
// anchors. Records are packed fixed-width bytes (contract/README.md has
// every offset); nothing on a hot path goes through StdLib serialisation.
package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/neogointernal"
)

// Keys. A channel's record is under its id and its state under −id, each
// written as the VM writes an integer (1 to 8 bytes, little-endian two's
// complement): no prefix to CAT on every access, and one byte less stored.
// Every other key is an ASCII letter and at least 20 more bytes, or one of
// the two singletons, a letter and 0x00, which no integer is written as.
const (
	prefixRouter   = "r"     // router key 33 → owner 20 ‖ flags 1
	prefixPlanHead = "h"     // owner 20 ‖ planId 1 → version u16 ‖ validFrom u64 ‖ validUntil u64
	prefixPlan     = "v"     // owner 20 ‖ planId 1 ‖ version u16 → terms as published
	prefixCloser   = "k"     // owner 20 ‖ closer 20 → 1
	prefixToken    = "t"     // owner 20 ‖ token 20 → 1
	prefixRound    = "a"     // anchorer 20 → round u64 ‖ root 32
	keyNextID      = "n\x00" // the newest channel id
	keyWindow      = "w\x00" // settlement window, ms

	// Vouchers carry amounts as 8 unsigned bytes; keeping amounts and times
	// below 2^63 means every valid value fits that field exactly.
	maxAmount = 9223372036854775807

	// One hour unless the deployer passes another window (milliseconds).
	defaultWindow = 3600000
)

// Shift widths live in variables: the VM's integers are 256-bit, Go's are
// 64-bit, and the Go tools reject constant shifts past 63.
var (
	b8, b16, b64, b80, b128, b136 = 8, 16, 64, 80, 128, 136
)

// The storage syscalls are called directly: the interop wrappers convert a
// ByteString result to a Buffer (a CONVERT, 1<<13 a call), which nothing
// here needs. The Local variants (Faun) need no storage context.
func get(key any) any {
	return neogointernal.Syscall1("System.Storage.Local.Get", key)
}

func put(key any, value any) {
	neogointernal.Syscall2NoReturn("System.Storage.Local.Put", key, value)
}

func del(key any) {
	neogointernal.Syscall1NoReturn("System.Storage.Local.Delete", key)
}

// setFlag stores a 1 under key, or deletes it: a yes/no setting.
func setFlag(key []byte, on bool) {
	if on {
		put(key, 1)
	} else {
		del(key)
	}
}

// cat, sub and left are the VM's CAT, SUBSTR and LEFT without the CONVERT
// the compiler adds after slicing a Go string. Their results are Buffers:
// fine as keys, values and arguments, but compared only after asBytes.
func cat(a, b any) []byte {
	return neogointernal.Opcode2("CAT", a, b).([]byte)
}

func sub(b any, off, n int) []byte {
	return neogointernal.Opcode3("SUBSTR", b, off, n).([]byte)
}

func left(b any, n int) []byte {
	return neogointernal.Opcode2("LEFT", b, n).([]byte)
}

// hashAt and keyAt are SUBSTRs typed for what they read (events and
// manifests check the types).
func hashAt(b any, off int) interop.Hash160 {
	return neogointernal.Opcode3("SUBSTR", b, off, interop.Hash160Len).(interop.Hash160)
}

func keyAt(b any, off int) interop.PublicKey {
	return neogointernal.Opcode3("SUBSTR", b, off, interop.PublicKeyCompressedLen).(interop.PublicKey)
}

// asInt reads a stored ByteString (≤ 32 bytes, little-endian) as an integer
// by arithmetic, which takes ByteStrings as they are; a type assertion
// would cost a CONVERT.
func asInt(v any) int {
	return neogointernal.Opcode2("ADD", v, 0).(int)
}

// asBytes makes a ByteString of a Buffer so that == compares contents.
func asBytes(b []byte) string {
	return string(b)
}

// fixed returns n little-endian bytes of v (0 ≤ v < 2^(8n)): the VM writes
// an integer in as few bytes as it can, so a 1 above the field keeps the
// width and LEFT drops it.
func fixed(v int, n int) []byte {
	one := 1
	return left(v+one<<(n*8), n)
}

func key1(prefix string, a any) []byte {
	return cat(prefix, a)
}

func key2(prefix string, a, b any) []byte {
	return cat(cat(prefix, a), b)
}

func window() int {
	v := get(keyWindow)
	if v == nil {
		return defaultWindow
	}
	return asInt(v)
}
