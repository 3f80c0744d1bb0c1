package tests

import (
	"encoding/binary"
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
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// A short window keeps expiry tests to a few blocks.
const windowMs = 1000

type env struct {
	e      *neotest.Executor
	hash   util.Uint160
	gas    util.Uint160
	owner  neotest.Signer
	guest  neotest.Signer
	router *keys.PrivateKey
	rsign  neotest.Signer
}

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
	v.router, v.rsign = newKey(t)
	v.inv(v.owner, v.rsign).Invoke(t, stackitem.Null{}, "registerRouter",
		v.owner.ScriptHash(), v.router.PublicKey().Bytes(), 1000, 50)
	return v
}

func newKey(t *testing.T) (*keys.PrivateKey, neotest.Signer) {
	pk, err := keys.NewPrivateKey()
	require.NoError(t, err)
	return pk, neotest.NewSingleSigner(wallet.NewAccountFromPrivateKey(pk))
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

// open funds a channel from the guest and returns its id, read from the
// ChannelOpened event.
func (v *env) open(t *testing.T, voucher *keys.PrivateKey, amount int64, expiry int64) int64 {
	h := v.e.NewInvoker(v.gas, v.guest).Invoke(t, true, "transfer", v.guest.ScriptHash(), v.hash, amount,
		[]any{"open", v.router.PublicKey().Bytes(), voucher.PublicKey().Bytes(), expiry})
	return v.event(t, h, "ChannelOpened")[0].Value().(*big.Int).Int64()
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

func voucherMessage(magic uint32, contract util.Uint160, id, amount uint64) []byte {
	m := []byte("qlink-voucher-v1")
	m = binary.LittleEndian.AppendUint32(m, magic)
	m = append(m, contract.BytesBE()...)
	m = binary.LittleEndian.AppendUint64(m, id)
	return binary.LittleEndian.AppendUint64(m, amount)
}

func anchorMessage(magic uint32, contract util.Uint160, router *keys.PublicKey, seq uint64, prev, root []byte) []byte {
	m := append([]byte("qlink-anchor-v1"), 0)
	m = binary.LittleEndian.AppendUint32(m, magic)
	m = append(m, contract.BytesBE()...)
	m = append(m, router.Bytes()...)
	m = binary.LittleEndian.AppendUint64(m, seq)
	m = append(m, prev...)
	return append(m, root...)
}

func (v *env) magic() uint32 { return uint32(v.e.Chain.GetConfig().Magic) }

// sign is what every signer does: ECDSA P-256 over SHA-256 of the message,
// r||s as 64 bytes.
func sign(pk *keys.PrivateKey, msg []byte) []byte { return pk.Sign(msg) }

func (v *env) voucher(pk *keys.PrivateKey, id, amount int64) []byte {
	return sign(pk, voucherMessage(v.magic(), v.hash, uint64(id), uint64(amount)))
}

func sha(b []byte) []byte { h := hash.Sha256(b); return h.BytesBE() }
