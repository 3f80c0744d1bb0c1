package main

import (
	"encoding/binary"
	"fmt"

	"github.com/nspcc-dev/neo-go/pkg/core/block"
	"github.com/nspcc-dev/neo-go/pkg/core/interop"
	"github.com/nspcc-dev/neo-go/pkg/core/interop/interopnames"
	"github.com/nspcc-dev/neo-go/pkg/core/native/nativehashes"
	"github.com/nspcc-dev/neo-go/pkg/core/transaction"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/smartcontract/callflag"
	"github.com/nspcc-dev/neo-go/pkg/smartcontract/trigger"
	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/nspcc-dev/neo-go/pkg/vm"
	"github.com/nspcc-dev/neo-go/pkg/vm/opcode"
)

// The parts a system fee is split into.
const (
	partStorage   = iota // storage fee: bytes written × StoragePrice
	partTransfers        // NEP-17 transfers: the call, the token's price and its own storage fee
	partCrypto           // verifyWithECDsa (the call and its price), CreateStandardAccount, CheckSig
	partSyscalls         // every other syscall and native or contract call, at its fixed price
	partOpcodes          // the rest: the VM instructions' own prices
	nParts
)

var partNames = [nParts]string{"storage", "transfers", "crypto", "syscalls", "opcodes"}

// breakdown is one execution's system fee by part, in datoshi, with the
// counts that explain it.
type breakdown struct {
	Parts    [nParts]int64
	Syscalls map[string]int // by name; calls by callee
	Opcodes  map[string]int // expensive instructions by name
	OpCost   map[string]int64
	Steps    int
}

func (b *breakdown) total() (s int64) {
	for _, p := range b.Parts {
		s += p
	}
	return s
}

// meter runs tx's script as the next block would (neotest's TestInvoke:
// same state, next index, top timestamp + 1) with a hook before every
// instruction. The GAS consumed between two hooks is the price of the
// instruction the first hook saw, including what a syscall or a native
// method charges inside it, so each instruction's price goes to one part.
// A call is known by its callee: its price goes where the callee's does.
func meter(t *tb, e *neotest.Executor, tx *transaction.Transaction, names map[util.Uint160]string) (*breakdown, error) {
	top := e.TopBlock(t)
	b := &block.Block{Header: block.Header{Index: e.Chain.BlockHeight() + 1, Timestamp: top.Timestamp + 1}}
	ttx := *tx
	ic := must(e.Chain.GetTestVM(trigger.Application, &ttx, b))
	defer ic.Finalize()
	m := &hook{ic: ic, v: ic.VM, names: names, out: &breakdown{Syscalls: map[string]int{}, Opcodes: map[string]int{}, OpCost: map[string]int64{}}}
	ic.VM.SetOnExecHook(m.step)
	ic.VM.LoadWithFlags(tx.Script, callflag.All)
	err := ic.VM.Run()
	m.settle(util.Uint160{})
	if got := m.out.total(); got != ic.VM.GasConsumed() {
		return nil, fmt.Errorf("parts sum to %d, the VM consumed %d", got, ic.VM.GasConsumed())
	}
	return m.out, err
}

type hook struct {
	ic    *interop.Context
	v     *vm.VM
	out   *breakdown
	names map[util.Uint160]string // callees by name in the counts

	last   int64        // GAS consumed when the previous instruction started
	part   int          // where the previous instruction's price goes
	call   bool         // it was a call: its part is the callee's
	caller util.Uint160 // the context it was made from
	fixed  int64        // for a storage put: its syscall price; the rest is storage fee
	op     opcode.Opcode
}

func (m *hook) step(h util.Uint160, ip int, op opcode.Opcode) {
	m.settle(h)
	m.out.Steps++
	m.call, m.fixed, m.caller, m.op = false, 0, h, op
	switch {
	case h == nativehashes.GasToken || h == nativehashes.NeoToken:
		m.part = partTransfers
	case h == nativehashes.CryptoLib:
		m.part = partCrypto
	case op == opcode.CALLT:
		m.part, m.call = partSyscalls, true
	case op == opcode.SYSCALL:
		m.syscall(ip)
	default:
		m.part = partOpcodes
		if op == opcode.CONVERT || op == opcode.CAT || op == opcode.SUBSTR || op == opcode.LEFT ||
			op == opcode.PACK || op == opcode.APPEND || op == opcode.NEWBUFFER || op == opcode.MEMCPY {
			m.out.Opcodes[op.String()]++
		}
	}
}

func (m *hook) syscall(ip int) {
	prog := m.v.Context().Program()
	id := binary.LittleEndian.Uint32(prog[ip+1 : ip+5])
	name, _ := interopnames.FromID(id)
	m.part = partSyscalls
	switch name {
	case interopnames.SystemContractCall:
		m.call = true
	case interopnames.SystemStoragePut, interopnames.SystemStorageLocalPut:
		m.fixed = vm.PicoGasToDatoshiInt64(m.ic.GetFunction(id).Price * m.ic.BaseExecFee())
		m.out.Syscalls[name]++
	case interopnames.SystemContractCreateStandardAccount, interopnames.SystemCryptoCheckSig:
		m.part = partCrypto
		m.out.Syscalls[name]++
	default:
		m.out.Syscalls[name]++
	}
}

// settle books the GAS consumed since the previous hook; h is the context
// about to run, which for a call is its callee.
func (m *hook) settle(h util.Uint160) {
	now := m.v.GasConsumed()
	d := now - m.last
	m.last = now
	switch {
	case m.call && h != m.caller:
		p := partSyscalls
		name := "call " + h.StringLE()
		if n, ok := m.names[h]; ok {
			name = "call " + n
		}
		switch h {
		case nativehashes.GasToken, nativehashes.NeoToken:
			p, name = partTransfers, "call token.transfer"
		case nativehashes.CryptoLib:
			p, name = partCrypto, "call CryptoLib"
		case nativehashes.StdLib:
			name = "call StdLib"
		}
		m.out.Syscalls[name]++
		m.out.Parts[p] += d
	case m.fixed != 0:
		m.out.Parts[partSyscalls] += m.fixed
		m.out.Parts[partStorage] += d - m.fixed
	default:
		m.out.Parts[m.part] += d
		if m.part == partOpcodes {
			m.out.OpCost[m.op.String()] += d
		}
	}
}
