package qlink

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
	if w < 0 || w > maxAmount {
		panic("qlink: settlement window out of range")
	}
	put(keyWindow, w)
}

// SettlementWindow is how long (ms) after expiry the owner may still redeem
// before the guest may take back the rest.
func SettlementWindow() int {
	return window()
}
