package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop/storage"
)

// _deploy takes the settlement window in milliseconds as deploy data, so a
// test chain can use seconds where a public network uses an hour.
func _deploy(data any, isUpdate bool) {
	if isUpdate {
		return
	}
	w := defaultWindow
	if data != nil {
		w = data.(int)
	}
	if w < 0 {
		panic("qlink: settlement window must not be negative")
	}
	storage.Put(storage.GetContext(), keyWindow, w)
}
