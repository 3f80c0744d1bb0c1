package main

import (
	"fmt"

	"github.com/nspcc-dev/neo-go/pkg/crypto/hash"
	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/wallet"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
)

// runV1 measures the layout before v2 (the contract at commit 6dc6b6e,
// --abi v1) with the same transactions where v1 had the method, so that
// before and after come from one meter at every profile.
func runV1(b *bench, batches []int) {
	owner, guest, gateway := b.account(), b.account(), b.account()
	var router *keys.PrivateKey
	for _, run := range []string{"first", "later"} {
		router = b.key()
		rs := neotest.NewSingleSigner(wallet.NewAccountFromPrivateKey(router))
		b.measure("registerRouter", run, 0, b.tx(b.hash, []neotest.Signer{owner, rs}, "registerRouter",
			owner.ScriptHash(), router.PublicKey().Bytes(), 1000, 50))
	}
	channels := int64(0)
	open := func(run string, vk *keys.PrivateKey, expiry int64, signers ...neotest.Signer) int64 {
		tx := b.tx(b.gas, append(signers, guest), "transfer", guest.ScriptHash(), b.hash, 10_0000_0000,
			[]any{"open", router.PublicKey().Bytes(), vk.PublicKey().Bytes(), expiry})
		if run == "" {
			b.do(tx)
		} else {
			b.measure("open", run, 0, tx)
		}
		channels++
		return channels
	}
	voucher := func(vk *keys.PrivateKey, id, amount int64) []byte {
		return vk.Sign(qlinkmsg.Voucher(b.magic(), b.hash, uint64(id), uint64(amount)))
	}
	day := int64(86400000)
	vk := b.key()
	open("first", vk, b.now()+day)
	id := open("later", vk, b.now()+day)
	open("sponsored", vk, b.now()+day, gateway)
	b.measure("topup", "later", 0, b.tx(b.gas, []neotest.Signer{guest}, "transfer",
		guest.ScriptHash(), b.hash, 1_0000_0000, []any{"topup", id, 0}))
	b.measure("redeem", "first", 1, b.tx(b.hash, []neotest.Signer{gateway}, "redeem", id, 1000, voucher(vk, id, 1000)))
	b.measure("redeem", "later", 1, b.tx(b.hash, []neotest.Signer{gateway}, "redeem", id, 2000, voucher(vk, id, 2000)))
	for _, n := range batches {
		items := make([]any, n)
		ks := make([]*keys.PrivateKey, n)
		for i := range n {
			ks[i] = b.key()
			items[i] = []any{open("", ks[i], b.now()+day), int64(0), nil}
		}
		for _, run := range []string{"first", "later"} {
			for i, it := range items {
				v := it.([]any)
				v[1] = v[1].(int64) + 1000
				v[2] = voucher(ks[i], v[0].(int64), v[1].(int64))
			}
			b.measure("redeemBatch", fmt.Sprintf("%d channels, %s", n, run), n,
				b.tx(b.hash, []neotest.Signer{gateway}, "redeemBatch", items))
		}
	}
	// v1's close took the owner's witness; the owner sends it.
	b.measure("close", "after a redeem", 0, b.tx(b.hash, []neotest.Signer{owner}, "close", id, 3000, voucher(vk, id, 3000)))
	fresh := open("", vk, b.now()+day)
	b.measure("close", "first redeem", 0, b.tx(b.hash, []neotest.Signer{owner}, "close", fresh, 3000, voucher(vk, fresh, 3000)))
	short := open("", vk, b.now()+2000)
	b.do(b.tx(b.hash, []neotest.Signer{gateway}, "redeem", short, 1000, voucher(vk, short, 1000)))
	b.advance(uint64(2000 + b.window + 1))
	b.measure("refund", "after a redeem", 0, b.tx(b.hash, []neotest.Signer{gateway}, "refund", short))
	prev := make([]byte, 32)
	for i, run := range []string{"first", "later"} {
		root := must(keys.NewPrivateKey()).Bytes()
		msg := qlinkmsg.BatchAnchor(b.magic(), b.hash, router.PublicKey().Bytes(), uint64(i+1), prev, root)
		b.measure("anchorBatch", run, 0, b.tx(b.hash, []neotest.Signer{gateway}, "anchorBatch",
			router.PublicKey().Bytes(), i+1, prev, root, router.Sign(msg)))
		h := hash.Sha256(msg)
		prev = h.BytesBE()
	}
}
