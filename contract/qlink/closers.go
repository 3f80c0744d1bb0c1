package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// SetCloser authorises (or revokes) an account that may close the owner's
// channels cooperatively, so the gateway that closes at a guest's log-out
// holds a closer key and never the owner's payout key.
func SetCloser(owner interop.Hash160, closer interop.Hash160, allowed bool) {
	checkOwnerPair(owner, closer, "closer")
	if string(closer) == string(owner) {
		panic("qlink: the owner closes without being a closer")
	}
	setFlag(key2(prefixCloser, owner, closer), allowed)
	runtime.Notify("CloserSet", owner, closer, allowed)
}

// IsCloser tells whether owner has authorised closer.
func IsCloser(owner interop.Hash160, closer interop.Hash160) bool {
	return get(key2(prefixCloser, owner, closer)) != nil
}

// checkCloser lets by close a channel of owner: by is the owner (owner
// witness) or a closer the owner authorised (closer witness).
func checkCloser(owner interop.Hash160, by interop.Hash160) {
	if string(by) == asBytes(owner) {
		if !runtime.CheckWitness(by) {
			panic("qlink: owner witness missing")
		}
		return
	}
	if get(key2(prefixCloser, owner, by)) == nil {
		panic("qlink: closer not authorised")
	}
	if !runtime.CheckWitness(by) {
		panic("qlink: closer witness missing")
	}
}
