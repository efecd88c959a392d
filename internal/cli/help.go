package cli

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagLine finds a flag's value type in pflag's usage lines.
var flagLine = regexp.MustCompile(`^(\s+(?:-\S, )?--[\w-]+) (\w+)( +)`)

// dockerTypes are docker's names for pflag's value types in --help.
var dockerTypes = map[string]string{"stringArray": "list", "stringSlice": "list", "int64": "int", "uint64": "uint", "float64": "float"}

// dockerFlagUsages is pflag's flag list with docker's type names, the
// columns kept aligned.
func dockerFlagUsages(fs *pflag.FlagSet) string {
	lines := strings.Split(fs.FlagUsages(), "\n")
	for i, l := range lines {
		m := flagLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if t, ok := dockerTypes[m[2]]; ok {
			pad := m[3] + strings.Repeat(" ", len(m[2])-len(t))
			lines[i] = m[1] + " " + t + pad + l[len(m[0]):]
		}
	}
	return strings.Join(lines, "\n")
}

// setDockerHelp makes --help read as docker's: "Options:" and its type names.
func setDockerHelp(root *cobra.Command) {
	cobra.AddTemplateFunc("dockerFlags", dockerFlagUsages)
	t := root.UsageTemplate()
	t = strings.ReplaceAll(t, ".LocalFlags.FlagUsages", "dockerFlags .LocalFlags")
	t = strings.ReplaceAll(t, ".InheritedFlags.FlagUsages", "dockerFlags .InheritedFlags")
	t = strings.Replace(t, "\nFlags:\n", "\nOptions:\n", 1)
	root.SetUsageTemplate(t)
	// Use lines say [OPTIONS] already, as docker's do.
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
