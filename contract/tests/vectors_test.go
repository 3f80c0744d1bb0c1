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
	"github.com/qlink-agent/qlink-agent/contract/qlinkmsg"
	"github.com/stretchr/testify/require"
)

// The vectors are shared with the TypeScript signers (test/chain.*.test.ts).
// QLINK_UPDATE_VECTORS=1 rewrites them; otherwise they must match.
const vectorsPath = "../../test/fixtures/chain/vectors.json"

type vectors struct {
	Note    string        `json:"note"`
	Voucher voucherVector `json:"voucher"`
	Anchor  anchorVector  `json:"anchor"`
	Claim   claimVector   `json:"claim"`
	Rekey   rekeyVector   `json:"rekey"`
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

// anchorVector is the per-batch message routers sign (qlinkmsg.BatchAnchor):
// off chain since v2, unchanged.
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

type claimVector struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	Magic      uint32 `json:"magic"`
	Contract   string `json:"contract"`
	Owner      string `json:"owner"`
	ClaimUntil uint64 `json:"claimUntil"`
	Message    string `json:"message"`
	Signature  string `json:"signature"`
}

type rekeyVector struct {
	GuestPrivateKey string `json:"guestPrivateKey"`
	GuestPublicKey  string `json:"guestPublicKey"`
	Guest           string `json:"guest"`
	Magic           uint32 `json:"magic"`
	Contract        string `json:"contract"`
	ChannelID       uint64 `json:"channelId"`
	OldKey          string `json:"oldKey"`
	NewKey          string `json:"newKey"`
	Message         string `json:"message"`
	Statement       string `json:"statement"`
	Salt            string `json:"salt"`
	Signed          string `json:"signed"`
	Signature       string `json:"signature"`
	SignedNoSalt    string `json:"signedNoSalt"`
	SignatureNoSalt string `json:"signatureNoSalt"`
}

const (
	vectorMagic = 1903980139
	vectorUntil = 1767225600000 // 2026-01-01T00:00:00Z
	vectorSalt  = "0123456789abcdef0123456789abcdef"
)

func TestVectors(t *testing.T) {
	contract, err := util.Uint160DecodeStringLE("218642d807b2cbe2adb53c9061afd99f154e9479")
	require.NoError(t, err)
	vk := fixedKey(t, "qlink voucher test key")
	rk := fixedKey(t, "qlink router test key")
	ok := fixedKey(t, "qlink owner test key")
	gk := fixedKey(t, "qlink guest test key")
	nk := fixedKey(t, "qlink new voucher test key")
	h := func(b []byte) string { return hex.EncodeToString(b) }
	c := "0x" + contract.StringLE()

	vmsg := qlinkmsg.Voucher(vectorMagic, contract, 7, 1_2345_6789)
	owner := ok.PublicKey().GetScriptHash()
	cmsg := qlinkmsg.Claim(vectorMagic, contract, rk.PublicKey().Bytes(), owner, vectorUntil)
	rmsg := qlinkmsg.Rekey(vectorMagic, contract, 7, vk.PublicKey().Bytes(), nk.PublicKey().Bytes())
	statement := qlinkmsg.RekeyStatement(rmsg)
	signed := qlinkmsg.SignedMessage(vectorSalt, statement)
	signedNoSalt := qlinkmsg.SignedMessage("", statement)
	prev, root := sha([]byte("previous batch")), sha([]byte("batch root"))
	amsg := qlinkmsg.BatchAnchor(vectorMagic, contract, rk.PublicKey().Bytes(), 2, prev, root)
	got := vectors{
		Note: "signatures are RFC 6979 (deterministic) ECDSA secp256r1/SHA-256, r||s; any valid signature verifies",
		Voucher: voucherVector{PrivateKey: h(vk.Bytes()), PublicKey: h(vk.PublicKey().Bytes()),
			Magic: vectorMagic, Contract: c, ChannelID: 7, Amount: 1_2345_6789,
			Message: h(vmsg), Signature: h(vk.Sign(vmsg))},
		Anchor: anchorVector{PrivateKey: h(rk.Bytes()), PublicKey: h(rk.PublicKey().Bytes()),
			Magic: vectorMagic, Contract: c, Seq: 2, Prev: h(prev), Root: h(root),
			Message: h(amsg), Hash: h(sha(amsg)), Signature: h(rk.Sign(amsg))},
		Claim: claimVector{PrivateKey: h(rk.Bytes()), PublicKey: h(rk.PublicKey().Bytes()),
			Magic: vectorMagic, Contract: c, Owner: "0x" + owner.StringLE(), ClaimUntil: vectorUntil,
			Message: h(cmsg), Signature: h(rk.Sign(cmsg))},
		Rekey: rekeyVector{GuestPrivateKey: h(gk.Bytes()), GuestPublicKey: h(gk.PublicKey().Bytes()),
			Guest: "0x" + gk.PublicKey().GetScriptHash().StringLE(), Magic: vectorMagic, Contract: c, ChannelID: 7,
			OldKey: h(vk.PublicKey().Bytes()), NewKey: h(nk.PublicKey().Bytes()),
			Message: h(rmsg), Statement: statement, Salt: vectorSalt,
			Signed: h(signed), Signature: h(gk.Sign(signed)),
			SignedNoSalt: h(signedNoSalt), SignatureNoSalt: h(gk.Sign(signedNoSalt))},
	}
	require.Len(t, vmsg, 56)
	require.Len(t, amsg, 145)
	require.Len(t, cmsg, 101)
	require.Len(t, rmsg, 114)
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
	// v1's voucher vector still holds, byte for byte.
	require.Equal(t, "d7a7cfb54fd331b90e33bb7269f2943298cb91c396af158a70c0a3d409392db2599b7e138d57c3bd62a4836d0a7e8704923bd344cbc0b957aa12e0b2184511a9", want.Voucher.Signature)
	for _, s := range []struct {
		key  *keys.PrivateKey
		msg  []byte
		sigH string
	}{{vk, vmsg, want.Voucher.Signature}, {rk, cmsg, want.Claim.Signature},
		{gk, signed, want.Rekey.Signature}, {gk, signedNoSalt, want.Rekey.SignatureNoSalt}} {
		sig, _ := hex.DecodeString(s.sigH)
		require.True(t, s.key.PublicKey().Verify(sig, hash.Sha256(s.msg).BytesBE()))
	}
}

// The contract builds the same bytes as qlinkmsg and README.md.
func TestContractBuildsMessages(t *testing.T) {
	v := newEnv(t)
	inv := v.inv(v.guest)
	inv.Invoke(t, stackitem.NewBuffer(qlinkmsg.Voucher(v.magic(), v.hash, 7, 1_2345_6789)), "voucherMessage", 7, 1_2345_6789)
	inv.InvokeFail(t, "out of range", "voucherMessage", 0, 5)
	inv.InvokeFail(t, "out of range", "voucherMessage", 1, -5)
	rk := v.router.PublicKey().Bytes()
	o := v.owner.ScriptHash()
	inv.Invoke(t, stackitem.NewBuffer(qlinkmsg.Claim(v.magic(), v.hash, rk, o, vectorUntil)), "claimMessage", rk, o, vectorUntil)
	inv.InvokeFail(t, "claim time out of range", "claimMessage", rk, o, -1)
	old, nk := newKey(t), newKey(t)
	id := v.open(t, old, 10, v.now(t)+60000)
	want := qlinkmsg.Rekey(v.magic(), v.hash, uint64(id), old.PublicKey().Bytes(), nk.PublicKey().Bytes())
	inv.Invoke(t, stackitem.NewBuffer(want), "rekeyMessage", id, nk.PublicKey().Bytes())
	inv.InvokeFail(t, "unknown channel", "rekeyMessage", 99, nk.PublicKey().Bytes())
	inv.Invoke(t, windowMs, "settlementWindow")
}

func fixedKey(t *testing.T, seed string) *keys.PrivateKey {
	pk, err := keys.NewPrivateKeyFromBytes(sha([]byte(seed)))
	require.NoError(t, err)
	return pk
}
