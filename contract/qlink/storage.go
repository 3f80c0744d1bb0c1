// Package qlink is the qlink-agent NEO N3 contract: a router registry,
// payment channels funded by NEP-17 transfers and redeemed with guest-signed
// vouchers, and router-signed usage batch anchors.
package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/convert"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/std"
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

const (
	prefixRouter  = "r"
	prefixChannel = "c"
	prefixPaid    = "p"
	prefixAnchor  = "a"
	prefixHead    = "h"
	prefixToken   = "t"
	keyNextID     = "n"
	keyWindow     = "w"

	// Vouchers carry amounts as 8 unsigned bytes; keeping deposits below
	// 2^63 means every valid cumulative amount fits that field exactly.
	maxAmount = 9223372036854775807

	// One hour unless the deployer passes another window (milliseconds).
	defaultWindow = 3600000
)

func routerKey(key interop.PublicKey) []byte {
	return append([]byte(prefixRouter), key...)
}

func channelKey(id int) []byte {
	return append([]byte(prefixChannel), convert.Uint64ToBytesLE(uint64(id))...)
}

func paidKey(id int) []byte {
	return append([]byte(prefixPaid), convert.Uint64ToBytesLE(uint64(id))...)
}

func anchorKey(key interop.PublicKey, seq int) []byte {
	k := append([]byte(prefixAnchor), key...)
	return append(k, convert.Uint64ToBytesLE(uint64(seq))...)
}

func headKey(key interop.PublicKey) []byte {
	return append([]byte(prefixHead), key...)
}

func tokenKey(owner, token interop.Hash160) []byte {
	k := append([]byte(prefixToken), owner...)
	return append(k, token...)
}

func getRouter(ctx storage.Context, key interop.PublicKey) any {
	b := storage.Get(ctx, routerKey(key))
	if b == nil {
		return nil
	}
	return std.Deserialize(b.([]byte)).(Router)
}

func putRouter(ctx storage.Context, r Router) {
	storage.Put(ctx, routerKey(r.Key), std.Serialize(r))
}

// The redeemed amount lives under a key of its own: a redeem then rewrites
// a few bytes instead of the whole channel (storage is paid by the byte).
func getChannel(ctx storage.Context, id int) any {
	b := storage.Get(ctx, channelKey(id))
	if b == nil {
		return nil
	}
	ch := std.Deserialize(b.([]byte)).(Channel)
	ch.Redeemed = 0
	paid := storage.Get(ctx, paidKey(id))
	if paid != nil {
		ch.Redeemed = paid.(int)
	}
	return ch
}

func putRedeemed(ctx storage.Context, id int, amount int) {
	storage.Put(ctx, paidKey(id), amount)
}

func putChannel(ctx storage.Context, ch Channel) {
	storage.Put(ctx, channelKey(ch.ID), std.Serialize(ch))
}

func mustChannel(ctx storage.Context, id int) Channel {
	c := getChannel(ctx, id)
	if c == nil {
		panic("qlink: unknown channel")
	}
	return c.(Channel)
}

func mustRouter(ctx storage.Context, key interop.PublicKey) Router {
	r := getRouter(ctx, key)
	if r == nil {
		panic("qlink: unknown router")
	}
	return r.(Router)
}

func window(ctx storage.Context) int {
	v := storage.Get(ctx, keyWindow)
	if v == nil {
		return defaultWindow
	}
	return v.(int)
}

func sameBytes(a, b []byte) bool {
	return string(a) == string(b)
}

func checkKey(key interop.PublicKey, what string) {
	if len(key) != interop.PublicKeyCompressedLen || (key[0] != 2 && key[0] != 3) {
		panic("qlink: " + what + " must be a 33-byte compressed public key")
	}
}

func checkHash160(h interop.Hash160, what string) {
	if len(h) != interop.Hash160Len {
		panic("qlink: " + what + " must be a 20-byte script hash")
	}
}
