package main

import (
	"fmt"

	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/core/transaction"
	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/io"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/neotest/chain"
	"github.com/nspcc-dev/neo-go/pkg/smartcontract"
	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/nspcc-dev/neo-go/pkg/vm/vmstate"
	"go.uber.org/zap"
)

// result is one measured transaction. Amounts are datoshi (1e-8 GAS).
type result struct {
	Method       string           `json:"method"`
	Run          string           `json:"run"`
	Channels     int              `json:"channels,omitempty"` // redeemBatch: items in it
	SystemFee    int64            `json:"systemFee"`
	NetworkFee   int64            `json:"networkFee"`
	Total        int64            `json:"total"`
	Bytes        int              `json:"bytes"`
	Parts        map[string]int64 `json:"parts"`
	StorageBytes int64            `json:"storageBytes"`
	Syscalls     map[string]int   `json:"syscalls"`
	Opcodes      map[string]int   `json:"opcodes"`
	OpcodeCost   map[string]int64 `json:"opcodeCost"`
	Steps        int              `json:"instructions"`
}

// bench is one fresh in-process chain at one policy profile.
type bench struct {
	t      *tb
	e      *neotest.Executor
	p      profile
	hash   util.Uint160
	gas    util.Uint160
	names  map[util.Uint160]string
	runs   []result
	window int64
}

func newBench(t *tb, p profile, src string, windowMs int64) *bench {
	bc, acc := chain.NewSingleWithOptions(t, &chain.Options{Logger: zap.NewNop()})
	e := neotest.NewExecutor(t, bc, acc, acc)
	applyPolicy(t, e, p)
	c := neotest.CompileFile(t, e.CommitteeHash, src, src+"/qlink.yml")
	e.DeployContract(t, c, windowMs)
	b := &bench{t: t, e: e, p: p, hash: c.Hash, gas: e.NativeHash(t, nativenames.Gas), window: windowMs}
	b.names = map[util.Uint160]string{c.Hash: "qlink"}
	return b
}

// account is a new signer with GAS for fees and deposits.
func (b *bench) account() neotest.Signer { return b.e.NewAccount(b.t, 1000_0000_0000) }

func (b *bench) key() *keys.PrivateKey { return must(keys.NewPrivateKey()) }

// tx is a signed call with fees as a wallet computes them: the system fee
// from a test run, the network fee from size and witness verification.
func (b *bench) tx(contract util.Uint160, signers []neotest.Signer, method string, args ...any) *transaction.Transaction {
	return b.e.NewInvoker(contract, signers...).PrepareInvoke(b.t, method, args...)
}

// script is a signed transaction running several calls.
func (b *bench) script(signers []neotest.Signer, build func(*smartcontract.Builder)) *transaction.Transaction {
	sb := smartcontract.NewBuilder()
	build(sb)
	return b.e.PrepareInvocation(b.t, must(sb.Script()), signers)
}

// do runs a transaction that is set-up, not measured.
func (b *bench) do(tx *transaction.Transaction) {
	b.e.AddNewBlock(b.t, tx)
	b.e.CheckHalt(b.t, tx.Hash())
}

// measure meters tx, then runs it in a block and checks that the parts sum
// to the system fee the chain charged and the wallet-style estimate set.
func (b *bench) measure(method, run string, channels int, tx *transaction.Transaction) result {
	bd, err := meter(b.t, b.e, tx, b.names)
	if err != nil {
		panic(fmt.Sprintf("%s %s: %v", method, run, err))
	}
	b.e.AddNewBlock(b.t, tx)
	aer := b.e.GetTxExecResult(b.t, tx.Hash())
	if aer.VMState != vmstate.Halt {
		panic(fmt.Sprintf("%s %s: %s: %s", method, run, aer.VMState, aer.FaultException))
	}
	if sum := bd.total(); sum != aer.GasConsumed || sum != tx.SystemFee {
		panic(fmt.Sprintf("%s %s: parts sum to %d; the block charged %d; the transaction pays %d",
			method, run, sum, aer.GasConsumed, tx.SystemFee))
	}
	r := result{Method: method, Run: run, Channels: channels, SystemFee: tx.SystemFee, NetworkFee: tx.NetworkFee,
		Total: tx.SystemFee + tx.NetworkFee, Bytes: io.GetVarSize(tx), Parts: map[string]int64{},
		Syscalls: bd.Syscalls, Opcodes: bd.Opcodes, OpcodeCost: bd.OpCost, Steps: bd.Steps}
	for i, p := range bd.Parts {
		r.Parts[partNames[i]] = p
	}
	r.StorageBytes = bd.Parts[partStorage] / b.p.StoragePrice
	if r.StorageBytes*b.p.StoragePrice != bd.Parts[partStorage] {
		panic(fmt.Sprintf("%s %s: storage fee %d is no whole number of bytes at %d", method, run, bd.Parts[partStorage], b.p.StoragePrice))
	}
	b.runs = append(b.runs, r)
	return r
}

// advance adds an empty block ms after the newest one.
func (b *bench) advance(ms uint64) {
	blk := b.e.NewUnsignedBlock(b.t)
	blk.Timestamp = b.e.TopBlock(b.t).Timestamp + ms
	b.e.SignBlock(blk)
	if err := b.e.Chain.AddBlock(blk); err != nil {
		panic(err)
	}
}

func (b *bench) now() int64 { return int64(b.e.TopBlock(b.t).Timestamp) }

func (b *bench) magic() uint32 { return uint32(b.e.Chain.GetConfig().Magic) }
