package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/crypto"
	"github.com/nspcc-dev/neo-go/pkg/interop/native/std"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

// Anchor is one router-signed usage batch root, kept in sequence.
// Hash is SHA-256 of the anchor message; the next batch names it as Prev.
type Anchor struct {
	Router interop.PublicKey
	Seq    int
	Prev   interop.Hash256
	Root   interop.Hash256
	Hash   interop.Hash256
	Time   int
}

// Head is a router's newest anchored batch (Seq 0 and a zero hash before
// the first).
type Head struct {
	Seq  int
	Hash interop.Hash256
}

// AnchorBatch records a batch root. Anyone may send it (the gateway does);
// the router's signature over the anchor message is what authorises it.
func AnchorBatch(router interop.PublicKey, seq int, prev interop.Hash256, root interop.Hash256, sig interop.Signature) {
	msg := AnchorMessage(router, seq, prev, root)
	ctx := storage.GetContext()
	r := mustRouter(ctx, router)
	if !r.Active {
		panic("qlink: router retired")
	}
	head := getHead(ctx, router)
	if seq != head.Seq+1 {
		panic("qlink: anchor out of order")
	}
	if !sameBytes(prev, head.Hash) {
		panic("qlink: previous hash does not match")
	}
	if !checkSig(msg, router, sig) {
		panic("qlink: bad router signature")
	}
	hash := crypto.Sha256(msg)
	a := Anchor{Router: router, Seq: seq, Prev: prev, Root: root, Hash: hash, Time: runtime.GetTime()}
	storage.Put(ctx, anchorKey(router, seq), std.Serialize(a))
	storage.Put(ctx, headKey(router), std.Serialize(Head{Seq: seq, Hash: hash}))
	runtime.Notify("BatchAnchored", router, seq, root, hash)
}

// GetAnchor returns a router's anchor with this sequence, or null.
func GetAnchor(router interop.PublicKey, seq int) any {
	b := storage.Get(storage.GetReadOnlyContext(), anchorKey(router, seq))
	if b == nil {
		return nil
	}
	return std.Deserialize(b.([]byte)).(Anchor)
}

// GetAnchorHead returns a router's newest sequence and batch hash.
func GetAnchorHead(router interop.PublicKey) Head {
	return getHead(storage.GetReadOnlyContext(), router)
}

func getHead(ctx storage.Context, router interop.PublicKey) Head {
	b := storage.Get(ctx, headKey(router))
	if b == nil {
		return Head{Seq: 0, Hash: zeroHash()}
	}
	return std.Deserialize(b.([]byte)).(Head)
}

func zeroHash() interop.Hash256 {
	return make([]byte, interop.Hash256Len)
}
