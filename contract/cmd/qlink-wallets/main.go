// Command qlink-wallets creates (or reloads) the NEP-6 wallets of the local
// test chain and prints their keys as JSON. neo-go's own wallet commands
// read passwords from a terminal only, which a script does not have.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nspcc-dev/neo-go/pkg/crypto/keys"
	"github.com/nspcc-dev/neo-go/pkg/wallet"
)

type keyInfo struct {
	Address   string `json:"address"`
	WIF       string `json:"wif"`
	PublicKey string `json:"publicKey"`
	// Only the consensus wallet has one: the 1-of-1 multisig account that
	// holds the genesis NEO and GAS.
	Multisig string `json:"multisig,omitempty"`
}

func main() {
	dir := flag.String("dir", "", "directory for <name>.json wallets")
	pass := flag.String("password", "", "wallet password")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: qlink-wallets -dir DIR -password PW name...")
		os.Exit(2)
	}
	out := map[string]keyInfo{}
	for _, name := range flag.Args() {
		info, err := ensure(filepath.Join(*dir, name+".json"), *pass, name == "consensus")
		if err != nil {
			fmt.Fprintf(os.Stderr, "qlink-wallets: %s: %v\n", name, err)
			os.Exit(1)
		}
		out[name] = info
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}

func ensure(path, pass string, multisig bool) (keyInfo, error) {
	if w, err := wallet.NewWalletFromFile(path); err == nil {
		defer w.Close()
		acc := w.Accounts[0]
		if err := acc.Decrypt(pass, w.Scrypt); err != nil {
			return keyInfo{}, err
		}
		return describe(acc.PrivateKey(), multisig)
	}
	pk, err := keys.NewPrivateKey()
	if err != nil {
		return keyInfo{}, err
	}
	w, err := wallet.NewWallet(path)
	if err != nil {
		return keyInfo{}, err
	}
	defer w.Close()
	accs := []*wallet.Account{wallet.NewAccountFromPrivateKey(pk)}
	if multisig {
		m := wallet.NewAccountFromPrivateKey(pk)
		if err := m.ConvertMultisig(1, keys.PublicKeys{pk.PublicKey()}); err != nil {
			return keyInfo{}, err
		}
		accs = append(accs, m)
	}
	for _, a := range accs {
		if err := a.Encrypt(pass, w.Scrypt); err != nil {
			return keyInfo{}, err
		}
		w.AddAccount(a)
	}
	if err := w.Save(); err != nil {
		return keyInfo{}, err
	}
	return describe(pk, multisig)
}

func describe(pk *keys.PrivateKey, multisig bool) (keyInfo, error) {
	info := keyInfo{Address: pk.Address(), WIF: pk.WIF(), PublicKey: pk.PublicKey().StringCompressed()}
	if multisig {
		m := wallet.NewAccountFromPrivateKey(pk)
		if err := m.ConvertMultisig(1, keys.PublicKeys{pk.PublicKey()}); err != nil {
			return keyInfo{}, err
		}
		info.Multisig = m.Address
	}
	return info, nil
}
