package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

type report struct {
	Unit     string                 `json:"unit"`
	ABI      string                 `json:"abi"`
	Order    []string               `json:"order"`
	Profiles map[string]profileRuns `json:"profiles"`
}

type profileRuns struct {
	Policy profile  `json:"policy"`
	Runs   []result `json:"runs"`
}

func gas(d int64) string { return fmt.Sprintf("%.6f", float64(d)/1e8) }

// printTables writes one table per profile, GAS with 6 decimals; a batch
// also gets a row per channel.
func printTables(w io.Writer, r report, verbose bool) {
	for _, name := range r.Order {
		pr := r.Profiles[name]
		p := pr.Policy
		fmt.Fprintf(w, "\nprofile %s: ExecFeeFactor %d, StoragePrice %d, FeePerByte %d (%s)\n",
			p.Name, p.ExecFeeFactor, p.StoragePrice, p.FeePerByte, p.Source)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "method\trun\tsystem\tnetwork\ttotal\tbytes\tstorage\t(B)\ttransfers\tcrypto\tsyscalls\topcodes\t")
		for _, x := range pr.Runs {
			row(tw, x.Method, x.Run, x, 1)
			if x.Channels > 1 {
				row(tw, "", "per channel", x, int64(x.Channels))
			}
		}
		tw.Flush()
		if verbose {
			for _, x := range pr.Runs {
				fmt.Fprintf(w, "  %s %s: %d instructions; %s; %s\n    opcode GAS: %s\n", x.Method, x.Run, x.Steps,
					counts(x.Syscalls), counts(x.Opcodes), topCosts(x.OpcodeCost, 10))
			}
		}
	}
}

func row(w io.Writer, method, run string, x result, n int64) {
	pt := x.Parts
	bytes := fmt.Sprint(x.Bytes)
	if n > 1 {
		bytes = fmt.Sprintf("%.0f", float64(x.Bytes)/float64(n))
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n", method, run,
		gas(x.SystemFee/n), gas(x.NetworkFee/n), gas(x.Total/n), bytes,
		gas(pt["storage"]/n), x.StorageBytes/n, gas(pt["transfers"]/n), gas(pt["crypto"]/n),
		gas(pt["syscalls"]/n), gas(pt["opcodes"]/n))
}

func counts(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s×%d", strings.TrimPrefix(k, "System."), m[k]))
	}
	return strings.Join(parts, " ")
}

// topCosts lists the n opcodes that cost most, in GAS.
func topCosts(m map[string]int64, n int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return m[ks[i]] > m[ks[j]] })
	var parts []string
	for i, k := range ks {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s", k, gas(m[k])))
	}
	return strings.Join(parts, ", ")
}
