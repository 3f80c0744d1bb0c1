package main

import (
	"fmt"
	"math/big"

	"github.com/nspcc-dev/neo-go/pkg/config"
	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/vm"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
)

// profile is a fee policy: the three values the committee sets in the
// native Policy contract. Sources and dates are in contract/README.md
// ("Policy profiles"); scripts/lib/chain-setup.sh sets the same values.
type profile struct {
	Name          string `json:"name"`
	ExecFeeFactor int64  `json:"execFeeFactor"` // datoshi per opcode price unit
	StoragePrice  int64  `json:"storagePrice"`  // datoshi per stored byte
	FeePerByte    int64  `json:"feePerByte"`    // datoshi per transaction byte
	Source        string `json:"source"`
}

var profiles = []profile{
	{"default", 30, 100000, 1000, "neo-go v0.120.0 and C# node defaults (native Policy contract)"},
	{"mainnet", 3, 10000, 100, "neo-project/neo#2966, `neoxp policy get -r MainNet`, 2023-11-13"},
	{"testnet", 1, 10000, 100, "ExecFeeFactor: neo-project/neo#3552, 2024-10-24; StoragePrice, FeePerByte: neo-project/neo#2966, 2023-11-13"},
}

func profileNamed(name string) (profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return profile{}, fmt.Errorf("unknown policy profile %q (default, mainnet, testnet)", name)
}

// applyPolicy sets p through the committee (neotest's single validator is
// the committee) and reads it back. From the Faun hardfork on (enabled from
// genesis on a chain without a Hardforks section, as here)
// setExecFeeFactor takes picoGAS: 10,000 per datoshi.
func applyPolicy(t *tb, e *neotest.Executor, p profile) {
	policy := e.CommitteeInvoker(e.NativeHash(t, nativenames.Policy))
	faun := config.HFFaun
	exec := p.ExecFeeFactor
	if e.Chain.IsHardforkEnabled(&faun, e.Chain.BlockHeight()+1) {
		exec *= vm.ExecFeeFactorMultiplier
	}
	policy.Invoke(t, stackitem.Null{}, "setExecFeeFactor", exec)
	policy.Invoke(t, stackitem.Null{}, "setStoragePrice", p.StoragePrice)
	policy.Invoke(t, stackitem.Null{}, "setFeePerByte", p.FeePerByte)
	for method, want := range map[string]int64{"getExecFeeFactor": p.ExecFeeFactor,
		"getExecPicoFeeFactor": exec, "getStoragePrice": p.StoragePrice, "getFeePerByte": p.FeePerByte} {
		st := must(policy.TestInvoke(t, method))
		if got := st.Pop().Value().(*big.Int).Int64(); got != want {
			panic(fmt.Sprintf("policy %s: %s reads %d, want %d", p.Name, method, got, want))
		}
	}
}
