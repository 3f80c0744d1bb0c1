package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/gas"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// A router record is owner 20 ‖ flags 1 (bit0: active): 21 bytes under a
// 34-byte key, the owner first so that LEFT 20 is the payee.
const routerActive = 1

// RegisterRouter binds a router key to its owner. Only the owner signs the
// transaction: the router's claim signature (made on its LAN page for this
// owner, valid until claimUntil) proves the key is the owner's to register.
func RegisterRouter(owner interop.Hash160, router interop.PublicKey, claimUntil int, claimSig interop.Signature) {
	msg := ClaimMessage(router, owner, claimUntil)
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
	if claimUntil < runtime.GetTime() {
		panic("qlink: claim expired")
	}
	k := key1(prefixRouter, router)
	if get(k) != nil {
		panic("qlink: router already registered")
	}
	if !checkSig(msg, router, claimSig) {
		panic("qlink: bad claim signature")
	}
	put(k, cat(owner, "\x01"))
	runtime.Notify("RouterRegistered", router, owner)
}

// RetireRouter stops a router for good: no new channels name it. Open
// channels stay redeemable, since any router of the owner may serve them.
func RetireRouter(router interop.PublicKey) {
	k := key1(prefixRouter, router)
	r := get(k)
	if r == nil {
		panic("qlink: unknown router")
	}
	if r.(string)[20]&routerActive == 0 {
		panic("qlink: router retired")
	}
	owner := hashAt(r, 0)
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
	put(k, cat(owner, "\x00"))
	runtime.Notify("RouterRetired", router, owner)
}

// GetRouter returns [owner, active] for a registered router, or null.
func GetRouter(router interop.PublicKey) any {
	r := get(key1(prefixRouter, router))
	if r == nil {
		return nil
	}
	return []any{hashAt(r, 0), r.(string)[20]&routerActive != 0}
}

// SetTokenAccepted lets an owner take channels in a NEP-17 token besides
// GAS, which every owner accepts.
func SetTokenAccepted(owner interop.Hash160, token interop.Hash160, accepted bool) {
	checkOwnerPair(owner, token, "token")
	if string(token) == gas.Hash {
		panic("qlink: GAS is always accepted")
	}
	setFlag(key2(prefixToken, owner, token), accepted)
	runtime.Notify("TokenAccepted", owner, token, accepted)
}

// IsTokenAccepted tells whether owner takes channels funded in token.
func IsTokenAccepted(owner interop.Hash160, token interop.Hash160) bool {
	return string(token) == gas.Hash || get(key2(prefixToken, owner, token)) != nil
}

// checkOwnerPair is what an owner's per-account setting (an accepted token,
// a closer) needs: both hashes well formed and the owner's witness.
func checkOwnerPair(owner interop.Hash160, other interop.Hash160, what string) {
	checkHash160(string(owner), "owner")
	checkHash160(string(other), what)
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
}

func checkKey(k string, what string) {
	if len(k) != interop.PublicKeyCompressedLen || (k[0] != 2 && k[0] != 3) {
		panic("qlink: " + what + " must be a 33-byte compressed public key")
	}
}

func checkHash160(h string, what string) {
	if len(h) != interop.Hash160Len {
		panic("qlink: " + what + " must be a 20-byte script hash")
	}
}
