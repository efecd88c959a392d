package cli

import (
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagLine finds a flag's name and value type in pflag's usage lines;
// compiled on first use, not at every start of jinn.
var flagLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\s+(?:-\S, )?--([\w-]+)) (\w+)( +)`)
})

// dockerFlagTypes are docker's type names of flags jinn parses as strings
// itself (sizes, durations, key=value lists).
var dockerFlagTypes = map[string]string{
	"memory": "bytes", "memory-swap": "bytes", "memory-reservation": "bytes", "shm-size": "bytes",
	"kernel-memory": "bytes", "io-maxbandwidth": "bytes",
	"cpus": "decimal", "health-interval": "duration", "health-timeout": "duration",
	"health-start-period": "duration", "health-start-interval": "duration",
	"sysctl": "map", "annotation": "map", "storage-opt": "list", "opt": "map",
	"filter": "filter", "gpus": "gpu-request", "mount": "mount", "ulimit": "ulimit", "aux-address": "map",
	"alias": "strings", "gateway": "strings", "ip-range": "strings", "subnet": "strings",
}

// dockerTypeAnnotation names a flag's docker type where its name alone
// does not tell (run's --network is a "network", build's a "string").
const dockerTypeAnnotation = "docker-type"

// dockerTypes are docker's names for pflag's value types in --help.
var dockerTypes = map[string]string{"stringArray": "list", "stringSlice": "list", "int64": "int", "uint64": "uint", "float64": "float"}

// dockerFlagUsages is pflag's flag list with docker's type names, the
// columns kept aligned.
func dockerFlagUsages(fs *pflag.FlagSet) string {
	lines := strings.Split(fs.FlagUsages(), "\n")
	for i, l := range lines {
		m := flagLine().FindStringSubmatch(l)
		if m == nil {
			continue
		}
		t, ok := dockerFlagTypes[m[2]]
		if f := fs.Lookup(m[2]); f != nil && len(f.Annotations[dockerTypeAnnotation]) == 1 {
			t, ok = f.Annotations[dockerTypeAnnotation][0], true
		}
		if !ok {
			t, ok = dockerTypes[m[3]]
		}
		// The type and the spaces after it keep their width: columns stay.
		if width := len(m[3]) + len(m[4]); ok && len(t) < width {
			lines[i] = m[1] + " " + t + strings.Repeat(" ", width-len(t)) + l[len(m[0]):]
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
