package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// AnchorRound records a settlement round's root: one Merkle root over every
// batch the gateway stored since its last round. The anchorer (the
// gateway's account, which verifiers pin) witnesses it; rounds go 1, 2, 3,
// … so none is skipped or replaced. The head keeps the newest round for
// getRound; older roots are in the RoundAnchored events.
func AnchorRound(anchorer interop.Hash160, round int, root interop.Hash256) {
	checkHash160(string(anchorer), "anchorer")
	if len(root) != interop.Hash256Len {
		panic("qlink: root must be 32 bytes")
	}
	if !runtime.CheckWitness(anchorer) {
		panic("qlink: anchorer witness missing")
	}
	k := key1(prefixRound, anchorer)
	head := 0
	if h := get(k); h != nil {
		head = any(left(h, 8)).(int)
	}
	if round != head+1 {
		panic("qlink: round out of order")
	}
	put(k, cat(fixed(round, 8), root))
	runtime.Notify("RoundAnchored", anchorer, round, root)
}

// GetRound returns [round, root] of the anchorer's newest round, or
// [0, 32 zero bytes] before the first.
func GetRound(anchorer interop.Hash160) []any {
	h := get(key1(prefixRound, anchorer))
	if h == nil {
		return []any{0, make([]byte, interop.Hash256Len)}
	}
	return []any{any(left(h, 8)).(int), sub(h, 8, 32)}
}
