package tests

import (
	"math/big"
	"os"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/core/native/nativenames"
	"github.com/nspcc-dev/neo-go/pkg/crypto/hash"
	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/neotest"
	"github.com/nspcc-dev/neo-go/pkg/neotest/chain"
	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/nspcc-dev/neo-go/pkg/wallet"
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// A short window keeps expiry tests to a few blocks.
const windowMs = 1000

// Open's integer operation codes.
const (
	opOpen  = 0
	opTopUp = 1
)

type env struct {
	e      *neotest.Executor
	hash   util.Uint160
	gas    util.Uint160
	owner  neotest.Signer
	guest  neotest.Signer
	router *keys.PrivateKey
}

// newEnv deploys the contract, registers a router for the owner and
// publishes plan 1 (on offer from time 0 on), so a guest can open at once.
func newEnv(t *testing.T) *env {
	// The chain's own logs (every expected FAULT is a WARN) would bury the
	// test output; QLINK_TEST_CHAIN_LOG=1 brings them back.
	opts := &chain.Options{Logger: zap.NewNop()}
	if os.Getenv("QLINK_TEST_CHAIN_LOG") == "1" {
		opts.Logger = zaptest.NewLogger(t)
	}
	bc, acc := chain.NewSingleWithOptions(t, opts)
	e := neotest.NewExecutor(t, bc, acc, acc)
	c := neotest.CompileFile(t, e.CommitteeHash, "../qlink", "../qlink/qlink.yml")
	e.DeployContract(t, c, windowMs)
	v := &env{e: e, hash: c.Hash, gas: e.NativeHash(t, nativenames.Gas),
		owner: e.NewAccount(t), guest: e.NewAccount(t)}
	v.router = newKey(t)
	v.register(t, v.owner, v.router)
	v.publish(t, v.owner, 1, planTerms(0, 1<<62, "hourly"))
	return v
}

func newKey(t *testing.T) *keys.PrivateKey {
	pk, err := keys.NewPrivateKey()
	require.NoError(t, err)
	return pk
}

func signerOf(pk *keys.PrivateKey) neotest.Signer {
	return neotest.NewSingleSigner(wallet.NewAccountFromPrivateKey(pk))
}

// keyOf is the private key behind an account neotest made.
func keyOf(s neotest.Signer) *keys.PrivateKey {
	return s.(neotest.SingleSigner).Account().PrivateKey()
}

func (v *env) inv(signers ...neotest.Signer) *neotest.ContractInvoker {
	return v.e.NewInvoker(v.hash, signers...)
}

func (v *env) now(t *testing.T) int64 { return int64(v.e.TopBlock(t).Timestamp) }

// advance adds an empty block ms after the newest one, since neotest
// otherwise moves block time by 1 ms per block.
func (v *env) advance(t *testing.T, ms uint64) {
	b := v.e.NewUnsignedBlock(t)
	b.Timestamp = v.e.TopBlock(t).Timestamp + ms
	v.e.SignBlock(b)
	require.NoError(t, v.e.Chain.AddBlock(b))
}

func (v *env) gasBalance(h util.Uint160) *big.Int {
	return v.e.Chain.GetUtilityTokenBalance(h)
}

func (v *env) magic() uint32 { return uint32(v.e.Chain.GetConfig().Magic) }

// claim is the router's signature letting owner register it for a minute.
func (v *env) claim(t *testing.T, router *keys.PrivateKey, owner util.Uint160) (int64, []byte) {
	until := v.now(t) + 60000
	return until, router.Sign(qlinkmsg.Claim(v.magic(), v.hash, router.PublicKey().Bytes(), owner, uint64(until)))
}

func (v *env) register(t *testing.T, owner neotest.Signer, router *keys.PrivateKey) {
	until, sig := v.claim(t, router, owner.ScriptHash())
	v.inv(owner).Invoke(t, stackitem.Null{}, "registerRouter", owner.ScriptHash(), router.PublicKey().Bytes(), until, sig)
}

func (v *env) publish(t *testing.T, owner neotest.Signer, planID int64, terms []byte) int64 {
	h := v.inv(owner).InvokeAndCheck(t, nil, "publishPlan", owner.ScriptHash(), planID, terms)
	return bigInt(v.event(t, h, "PlanPublished")[2])
}

// planTerms builds terms in the published layout (README.md) with fixed
// prices and one zero-rated host.
func planTerms(from, until uint64, name string) []byte {
	return qlinkmsg.PlanTerms(qlinkmsg.Plan{PricePerMB: 1000, PricePerMinute: 50, DownKbps: 5000, UpKbps: 2000,
		ValidFrom: from, ValidUntil: until, Name: name, ZeroRated: []qlinkmsg.ZeroRated{{Kind: 1, Data: []byte("chat.example")}}})
}

// openData is the transfer data that opens a channel under plan 1 v1.
func (v *env) openData(voucher *keys.PrivateKey, expiry int64) []any {
	return []any{opOpen, v.router.PublicKey().Bytes(), voucher.PublicKey().Bytes(), expiry, 1, 1}
}

// open funds a channel from the guest and returns its id, read from the
// ChannelOpened event.
func (v *env) open(t *testing.T, voucher *keys.PrivateKey, amount int64, expiry int64) int64 {
	return v.openWith(t, v.guest, v.openData(voucher, expiry), amount)
}

func (v *env) openWith(t *testing.T, guest neotest.Signer, data []any, amount int64) int64 {
	h := v.e.NewInvoker(v.gas, guest).Invoke(t, true, "transfer", guest.ScriptHash(), v.hash, amount, data)
	return bigInt(v.event(t, h, "ChannelOpened")[0])
}

// event returns the parameters of the contract's first event with this name.
func (v *env) event(t *testing.T, h util.Uint256, name string) []stackitem.Item {
	for _, ev := range v.e.GetTxExecResult(t, h).Events {
		if ev.ScriptHash.Equals(v.hash) && ev.Name == name {
			return ev.Item.Value().([]stackitem.Item)
		}
	}
	t.Fatalf("no %s event", name)
	return nil
}

func (v *env) channel(t *testing.T, id int64) []stackitem.Item {
	st, err := v.inv(v.guest).TestInvoke(t, "getChannel", id)
	require.NoError(t, err)
	return st.Pop().Array()
}

func (v *env) voucher(pk *keys.PrivateKey, id, amount int64) []byte {
	return pk.Sign(qlinkmsg.Voucher(v.magic(), v.hash, uint64(id), uint64(amount)))
}

func bigInt(it stackitem.Item) int64 { return it.Value().(*big.Int).Int64() }

func sha(b []byte) []byte { h := hash.Sha256(b); return h.BytesBE() }
