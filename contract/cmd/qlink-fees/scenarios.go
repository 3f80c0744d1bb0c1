package main

import (
	"encoding/binary"
	"fmt"

	"github.com/nspcc-dev/neo-go/pkg/core/transaction"
	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/smartcontract"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
)

// v2 runs each method's typical transaction on the v2 layout: who signs is
// who would in the product (the owner for the registry and plans, the
// guest for money in, the gateway for settlement, the closer for close).
type v2 struct {
	*bench
	owner, guest, gateway, closer neotest.Signer
	router                        *keys.PrivateKey
	channels                      int64 // ids count up from 1
}

func runV2(b *bench, batches []int) {
	s := &v2{bench: b, owner: b.account(), guest: b.account(), gateway: b.account(), closer: b.account()}
	o := s.owner.ScriptHash()
	for _, run := range []string{"first", "later"} {
		s.router = b.key()
		until := b.now() + 600000
		claim := s.router.Sign(qlinkmsg.Claim(b.magic(), b.hash, s.router.PublicKey().Bytes(), o, uint64(until)))
		b.measure("registerRouter", run, 0, b.tx(b.hash, []neotest.Signer{s.owner}, "registerRouter",
			o, s.router.PublicKey().Bytes(), until, claim))
	}
	b.measure("publishPlan", "2 plans, first", 0, b.script([]neotest.Signer{s.owner}, func(sb *smartcontract.Builder) {
		sb.InvokeMethod(b.hash, "publishPlan", o, 1, terms("hourly"))
		sb.InvokeMethod(b.hash, "publishPlan", o, 2, terms("daily"))
	}))
	b.measure("publishPlan", "change", 0, b.tx(b.hash, []neotest.Signer{s.owner}, "publishPlan", o, 1, terms("hourly, cheaper")))
	b.measure("setCloser", "first", 0, b.tx(b.hash, []neotest.Signer{s.owner}, "setCloser", o, s.closer.ScriptHash(), true))

	vk := b.key()
	s.measureOpen("first", s.guest, vk)
	id := s.measureOpen("later", s.guest, vk)
	s.measureOpen("sponsored", s.gateway, vk)
	b.measure("topup", "later", 0, b.tx(b.gas, []neotest.Signer{s.guest}, "transfer",
		s.guest.ScriptHash(), b.hash, 1_0000_0000, []any{1, id, 0}))
	b.measure("redeem", "first", 1, s.redeemTx(vk, id, 1000))
	b.measure("redeem", "later", 1, s.redeemTx(vk, id, 2000))
	for _, n := range batches {
		var items []any
		vks := make([]*keys.PrivateKey, n)
		for i := range n {
			vks[i] = b.key()
			items = append(items, []any{s.open(vks[i]), int64(1000), nil})
		}
		for _, run := range []string{"first", "later"} {
			for i, it := range items {
				v := it.([]any)
				v[1] = v[1].(int64) + 1000
				v[2] = vks[i].Sign(qlinkmsg.Voucher(b.magic(), b.hash, uint64(v[0].(int64)), uint64(v[1].(int64))))
			}
			b.measure("redeemBatch", fmt.Sprintf("%d channels, %s", n, run), n,
				b.tx(b.hash, []neotest.Signer{s.gateway}, "redeemBatch", batchArg(items)))
		}
	}
	b.measure("close", "after a redeem", 0, b.tx(b.hash, []neotest.Signer{s.closer}, "close",
		id, 3000, s.voucher(vk, id, 3000), s.closer.ScriptHash()))
	fresh := s.open(vk)
	b.measure("close", "first redeem", 0, b.tx(b.hash, []neotest.Signer{s.closer}, "close",
		fresh, 3000, s.voucher(vk, fresh, 3000), s.closer.ScriptHash()))

	s.rekeys()
	short := s.openUntil(vk, b.now()+2000)
	b.do(s.redeemTx(vk, short, 1000))
	b.advance(uint64(2000 + b.window + 1))
	b.measure("refund", "after a redeem", 0, b.tx(b.hash, []neotest.Signer{s.gateway}, "refund", short))

	a := s.gateway.ScriptHash()
	for i, run := range []string{"first", "later"} {
		root := must(keys.NewPrivateKey()).Bytes() // any 32 bytes
		b.measure("anchorRound", run, 0, b.tx(b.hash, []neotest.Signer{s.gateway}, "anchorRound", a, i+1, root))
	}
}

func (s *v2) rekeys() {
	b := s.bench
	guestKey := s.guest.(neotest.SingleSigner).Account().PrivateKey()
	old, next, last := b.key(), b.key(), b.key()
	id := s.open(old)
	b.measure("rekey", "guest witness, sponsored", 0, b.tx(b.hash, []neotest.Signer{s.gateway, s.guest},
		"rekey", id, next.PublicKey().Bytes(), nil))
	msg := qlinkmsg.Rekey(b.magic(), b.hash, uint64(id), next.PublicKey().Bytes(), last.PublicKey().Bytes())
	salt := "0123456789abcdef0123456789abcdef"
	sig := guestKey.Sign(qlinkmsg.SignedMessage(salt, qlinkmsg.RekeyStatement(msg)))
	b.measure("rekey", "signMessage proof", 0, b.tx(b.hash, []neotest.Signer{s.gateway},
		"rekey", id, last.PublicKey().Bytes(), []any{guestKey.PublicKey().Bytes(), []byte(salt), sig}))
}

func (s *v2) openData(vk *keys.PrivateKey, expiry int64) []any {
	return []any{0, s.router.PublicKey().Bytes(), vk.PublicKey().Bytes(), expiry, 1, 2}
}

func (s *v2) measureOpen(run string, sponsor neotest.Signer, vk *keys.PrivateKey) int64 {
	signers := []neotest.Signer{s.guest}
	if sponsor != s.guest {
		signers = []neotest.Signer{sponsor, s.guest}
	}
	tx := s.tx(s.gas, signers, "transfer", s.guest.ScriptHash(), s.hash, 10_0000_0000, s.openData(vk, s.now()+86400000))
	s.measure("open", run, 0, tx)
	s.channels++
	return s.channels
}

func (s *v2) open(vk *keys.PrivateKey) int64 { return s.openUntil(vk, s.now()+86400000) }

func (s *v2) openUntil(vk *keys.PrivateKey, expiry int64) int64 {
	s.do(s.tx(s.gas, []neotest.Signer{s.guest}, "transfer", s.guest.ScriptHash(), s.hash, 10_0000_0000, s.openData(vk, expiry)))
	s.channels++
	return s.channels
}

func (s *v2) voucher(vk *keys.PrivateKey, id, amount int64) []byte {
	return vk.Sign(qlinkmsg.Voucher(s.magic(), s.hash, uint64(id), uint64(amount)))
}

func (s *v2) redeemTx(vk *keys.PrivateKey, id, amount int64) *transaction.Transaction {
	return s.tx(s.hash, []neotest.Signer{s.gateway}, "redeem", id, amount, s.voucher(vk, id, amount))
}

func terms(name string) []byte {
	return qlinkmsg.PlanTerms(qlinkmsg.Plan{PricePerMB: 100000, PricePerMinute: 50000, DownKbps: 10000, UpKbps: 2000,
		ValidFrom: 0, ValidUntil: 1 << 62, Name: name,
		ZeroRated: []qlinkmsg.ZeroRated{{Kind: 1, Data: []byte("chat.example")}}})
}

// batchShape is redeemBatch's argument: "array" of [id, amount, sig]
// items (the contract's), or "packed" 80-byte entries id u64 ‖ amount u64
// ‖ sig 64 (the alternative measured against it, see testdata).
var batchShape = "array"

func batchArg(items []any) any {
	if batchShape == "array" {
		return items
	}
	var b []byte
	for _, it := range items {
		v := it.([]any)
		b = binary.LittleEndian.AppendUint64(b, uint64(v[0].(int64)))
		b = binary.LittleEndian.AppendUint64(b, uint64(v[1].(int64)))
		b = append(b, v[2].([]byte)...)
	}
	return b
}
