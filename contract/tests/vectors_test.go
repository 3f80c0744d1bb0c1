package tests

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/nspcc-dev/neo-go/pkg/crypto/hash"
	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/util"
	"github.com/nspcc-dev/neo-go/pkg/vm/stackitem"
	"github.com/stretchr/testify/require"
)

// The vectors are shared with the TypeScript signers (test/chain.*.test.ts).
// QLINK_UPDATE_VECTORS=1 rewrites them; otherwise they must match.
const vectorsPath = "../../test/fixtures/chain/vectors.json"

type vectors struct {
	Note    string        `json:"note"`
	Voucher voucherVector `json:"voucher"`
	Anchor  anchorVector  `json:"anchor"`
}

type voucherVector struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	Magic      uint32 `json:"magic"`
	Contract   string `json:"contract"`
	ChannelID  uint64 `json:"channelId"`
	Amount     uint64 `json:"amount"`
	Message    string `json:"message"`
	Signature  string `json:"signature"`
}

type anchorVector struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	Magic      uint32 `json:"magic"`
	Contract   string `json:"contract"`
	Seq        uint64 `json:"seq"`
	Prev       string `json:"prev"`
	Root       string `json:"root"`
	Message    string `json:"message"`
	Hash       string `json:"hash"`
	Signature  string `json:"signature"`
}

func TestVectors(t *testing.T) {
	contract, err := util.Uint160DecodeStringLE("218642d807b2cbe2adb53c9061afd99f154e9479")
	require.NoError(t, err)
	vk := fixedKey(t, "qlink voucher test key")
	rk := fixedKey(t, "qlink router test key")
	vmsg := voucherMessage(1903980139, contract, 7, 1_2345_6789)
	prev, root := sha([]byte("previous batch")), sha([]byte("batch root"))
	amsg := anchorMessage(1903980139, contract, rk.PublicKey(), 2, prev, root)
	got := vectors{
		Note: "signatures are RFC 6979 (deterministic) ECDSA secp256r1/SHA-256, r||s; any valid signature verifies",
		Voucher: voucherVector{PrivateKey: hex.EncodeToString(vk.Bytes()), PublicKey: hex.EncodeToString(vk.PublicKey().Bytes()),
			Magic: 1903980139, Contract: "0x" + contract.StringLE(), ChannelID: 7, Amount: 1_2345_6789,
			Message: hex.EncodeToString(vmsg), Signature: hex.EncodeToString(vk.Sign(vmsg))},
		Anchor: anchorVector{PrivateKey: hex.EncodeToString(rk.Bytes()), PublicKey: hex.EncodeToString(rk.PublicKey().Bytes()),
			Magic: 1903980139, Contract: "0x" + contract.StringLE(), Seq: 2,
			Prev: hex.EncodeToString(prev), Root: hex.EncodeToString(root),
			Message: hex.EncodeToString(amsg), Hash: hex.EncodeToString(sha(amsg)), Signature: hex.EncodeToString(rk.Sign(amsg))},
	}
	require.Len(t, vmsg, 56)
	require.Len(t, amsg, 145)
	if os.Getenv("QLINK_UPDATE_VECTORS") == "1" {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(vectorsPath, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(vectorsPath)
	require.NoError(t, err)
	var want vectors
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, want, got)
	sig, _ := hex.DecodeString(want.Voucher.Signature)
	require.True(t, vk.PublicKey().Verify(sig, hash.Sha256(vmsg).BytesBE()))
}

// The contract builds the same bytes as the layout in README.md.
func TestContractBuildsVoucherBytes(t *testing.T) {
	v := newEnv(t)
	want := voucherMessage(v.magic(), v.hash, 7, 1_2345_6789)
	v.inv(v.guest).Invoke(t, stackitem.NewBuffer(want), "voucherMessage", 7, 1_2345_6789)
	v.inv(v.guest).InvokeFail(t, "out of range", "voucherMessage", 0, 5)
	v.inv(v.guest).InvokeFail(t, "out of range", "voucherMessage", 1, -5)
	v.inv(v.guest).Invoke(t, windowMs, "settlementWindow")
}

func fixedKey(t *testing.T, seed string) *keys.PrivateKey {
	pk, err := keys.NewPrivateKeyFromBytes(sha([]byte(seed)))
	require.NoError(t, err)
	return pk
}
