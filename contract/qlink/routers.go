package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/gas"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

// Router is a hotspot's on-chain identity. Prices are in the smallest unit
// of the channel's token (GAS: 1e-8) per MiB and per minute.
type Router struct {
	Key            interop.PublicKey
	Owner          interop.Hash160
	PricePerMB     int
	PricePerMinute int
	Active         bool
}

// RegisterRouter binds a router key to its owner. Both sign: the owner so
// nobody registers routers in their name, the router so nobody squats a key
// that is not theirs.
func RegisterRouter(owner interop.Hash160, key interop.PublicKey, pricePerMB int, pricePerMinute int) {
	checkHash160(owner, "owner")
	checkKey(key, "router")
	checkPrices(pricePerMB, pricePerMinute)
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
	if !runtime.CheckWitness(key) {
		panic("qlink: router witness missing")
	}
	ctx := storage.GetContext()
	if getRouter(ctx, key) != nil {
		panic("qlink: router already registered")
	}
	putRouter(ctx, Router{Key: key, Owner: owner, PricePerMB: pricePerMB, PricePerMinute: pricePerMinute, Active: true})
	runtime.Notify("RouterRegistered", key, owner, pricePerMB, pricePerMinute)
}

// UpdateRouter changes an active router's prices; only its owner may.
func UpdateRouter(key interop.PublicKey, pricePerMB int, pricePerMinute int) {
	checkPrices(pricePerMB, pricePerMinute)
	ctx := storage.GetContext()
	r := ownedActiveRouter(ctx, key)
	r.PricePerMB = pricePerMB
	r.PricePerMinute = pricePerMinute
	putRouter(ctx, r)
	runtime.Notify("RouterUpdated", key, pricePerMB, pricePerMinute)
}

// RetireRouter stops a router for good: no new channels name it and its
// batches are no longer anchored. Open channels stay redeemable, since any
// router of the same owner may serve them.
func RetireRouter(key interop.PublicKey) {
	ctx := storage.GetContext()
	r := ownedActiveRouter(ctx, key)
	r.Active = false
	putRouter(ctx, r)
	runtime.Notify("RouterRetired", key, r.Owner)
}

// SetTokenAccepted lets an owner take channels in a NEP-17 token besides
// GAS, which every owner accepts.
func SetTokenAccepted(owner interop.Hash160, token interop.Hash160, accepted bool) {
	checkHash160(owner, "owner")
	checkHash160(token, "token")
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
	if string(token) == gas.Hash {
		panic("qlink: GAS is always accepted")
	}
	ctx := storage.GetContext()
	if accepted {
		storage.Put(ctx, tokenKey(owner, token), []byte{1})
	} else {
		storage.Delete(ctx, tokenKey(owner, token))
	}
	runtime.Notify("TokenAccepted", owner, token, accepted)
}

// GetRouter returns the router registered under key, or null.
func GetRouter(key interop.PublicKey) any {
	return getRouter(storage.GetReadOnlyContext(), key)
}

// IsTokenAccepted tells whether owner takes channels funded in token.
func IsTokenAccepted(owner interop.Hash160, token interop.Hash160) bool {
	return tokenAccepted(storage.GetReadOnlyContext(), owner, token)
}

func tokenAccepted(ctx storage.Context, owner, token interop.Hash160) bool {
	if string(token) == gas.Hash {
		return true
	}
	return storage.Get(ctx, tokenKey(owner, token)) != nil
}

func ownedActiveRouter(ctx storage.Context, key interop.PublicKey) Router {
	r := mustRouter(ctx, key)
	if !r.Active {
		panic("qlink: router retired")
	}
	if !runtime.CheckWitness(r.Owner) {
		panic("qlink: owner witness missing")
	}
	return r
}

func checkPrices(perMB, perMinute int) {
	if perMB < 0 || perMinute < 0 || perMB > maxAmount || perMinute > maxAmount {
		panic("qlink: prices out of range")
	}
}
