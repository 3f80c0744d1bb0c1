// Command qlink-fees measures what each qlink contract method's typical
// transaction costs on neo-go's in-process chain at a fee policy profile,
// and splits each system fee into storage, token transfers, crypto,
// syscalls and opcodes by an instruction-level hook on the VM. It checks
// that the parts sum to the system fee the chain charged.
//
//	go run ./cmd/qlink-fees [--policy default|mainnet|testnet|all] [--json] [-v]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	policy := flag.String("policy", "default", "profile: default, mainnet, testnet, a comma list, or all")
	asJSON := flag.Bool("json", false, "print JSON instead of tables")
	verbose := flag.Bool("v", false, "print each run's syscall and opcode counts")
	src := flag.String("src", defaultSrc(), "contract source directory (with qlink.yml)")
	batches := flag.String("batches", "10,50", "redeemBatch sizes")
	abi := flag.String("abi", "v2", "the contract's ABI: v2, or v1 (the layout before, for --src of commit 6dc6b6e)")
	flag.StringVar(&batchShape, "batch-shape", batchShape, "redeemBatch argument: array (the contract's) or packed (testdata variant)")
	flag.Parse()
	names := strings.Split(*policy, ",")
	if *policy == "all" {
		names = nil
		for _, p := range profiles {
			names = append(names, p.Name)
		}
	}
	var sizes []int
	for _, f := range strings.Split(*batches, ",") {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
			fail(fmt.Errorf("bad --batches %q", *batches))
		}
		sizes = append(sizes, n)
	}
	out := report{Unit: "datoshi (1e-8 GAS)", ABI: *abi, Profiles: map[string]profileRuns{}}
	for _, name := range names {
		p, err := profileNamed(name)
		if err != nil {
			fail(err)
		}
		runs, err := measureProfile(p, *src, *abi, sizes)
		if err != nil {
			fail(err)
		}
		out.Order = append(out.Order, name)
		out.Profiles[name] = profileRuns{Policy: p, Runs: runs}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fail(err)
		}
		return
	}
	printTables(os.Stdout, out, *verbose)
}

// measureProfile runs every scenario on a fresh chain; a failed check
// (a panic inside neotest or the meter) becomes an error.
func measureProfile(p profile, src, abi string, sizes []int) (runs []result, err error) {
	t := &tb{}
	defer t.close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("profile %s: %v", p.Name, r)
		}
	}()
	b := newBench(t, p, src, 1000)
	switch abi {
	case "v2":
		runV2(b, sizes)
	case "v1":
		runV1(b, sizes)
	default:
		return nil, fmt.Errorf("unknown --abi %q", abi)
	}
	return b.runs, nil
}

// defaultSrc is ../../qlink next to this file, so `go run` works from any
// directory of the module.
func defaultSrc() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "qlink"
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "qlink")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "qlink-fees:", err)
	os.Exit(1)
}
