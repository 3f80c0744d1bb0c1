package qlink

import (
	"github.com/nspcc-dev/neo-go/pkg/interop"
	"github.com/nspcc-dev/neo-go/pkg/interop/runtime"
)

// Plan terms are bytes the routers and the page decode (README.md, "Plan
// terms"); the contract reads only what it enforces: the format byte and
// the validity window at fixed offsets.
const (
	termsFormat     = 1
	termsMinLen     = 56
	termsMaxLen     = 1024
	offTermsFrom    = 38 // validFrom u64 ‖ validUntil u64
	maxPlanVersion  = 0xffff
	planIDMax       = 255
	headVersionMask = 0xffff
)

// PublishPlan stores a new version of an owner's plan and makes it the one
// new channels open under; channels opened before keep the version they
// name. A plan is withdrawn by publishing a version whose validUntil is now
// or past. It returns the version.
func PublishPlan(owner interop.Hash160, planID int, terms []byte) int {
	checkHash160(string(owner), "owner")
	checkPlanID(planID)
	if !runtime.CheckWitness(owner) {
		panic("qlink: owner witness missing")
	}
	from, until := termsValidity(terms)
	hk := planHeadKey(owner, planID)
	version := 1
	if h := get(hk); h != nil {
		version = asInt(h)&headVersionMask + 1
	}
	if version > maxPlanVersion {
		panic("qlink: plan version limit reached")
	}
	put(planKey(owner, planID, version), terms)
	put(hk, fixed(version|from<<b16|until<<b80, 18))
	runtime.Notify("PlanPublished", owner, planID, version)
	return version
}

// termsValidity checks what the contract relies on and returns the terms'
// validFrom and validUntil (ms, top bits clear).
func termsValidity(terms []byte) (int, int) {
	if len(terms) < termsMinLen || len(terms) > termsMaxLen {
		panic("qlink: plan terms must be 56 to 1024 bytes")
	}
	if terms[0] != termsFormat {
		panic("qlink: unknown plan terms format")
	}
	x := any(sub(terms, offTermsFrom, 16)).(int)
	one := 1
	from, until := x&(one<<b64-1), x>>b64
	if x < 0 || from > maxAmount {
		panic("qlink: plan validity times out of range")
	}
	if until <= from {
		panic("qlink: plan validUntil must be after validFrom")
	}
	return from, until
}

// GetPlan returns [version, validFrom, validUntil, terms] of an owner's
// current plan version, or null.
func GetPlan(owner interop.Hash160, planID int) any {
	checkPlanID(planID)
	h := get(planHeadKey(owner, planID))
	if h == nil {
		return nil
	}
	head := asInt(h)
	version := head & headVersionMask
	one := 1
	return []any{version, head >> b16 & (one<<b64 - 1), head >> b80, get(planKey(owner, planID, version))}
}

// GetPlanVersion returns the terms of one published version, or null.
func GetPlanVersion(owner interop.Hash160, planID int, version int) any {
	checkPlanID(planID)
	if version < 1 || version > maxPlanVersion {
		return nil
	}
	return get(planKey(owner, planID, version))
}

func checkPlanID(id int) {
	if id < 1 || id > planIDMax {
		panic("qlink: plan id must be 1 to 255")
	}
}

func planHeadKey(owner any, planID int) []byte {
	return key2(prefixPlanHead, owner, fixed(planID, 1))
}

func planKey(owner any, planID int, version int) []byte {
	return key2(prefixPlan, owner, fixed(planID|version<<b8, 3))
}
