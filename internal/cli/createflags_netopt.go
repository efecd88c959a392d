package cli

import (
	"context"
	"encoding/csv"
	"net"
	"strconv"
	"strings"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/network"
)

// netSpec is one --network: a name (or mode), or docker's advanced
// name=NET,alias=A,ip=…,ip6=…,mac-address=…,link-local-ip=…,
// driver-opt=K=V,gw-priority=N.
type netSpec struct {
	name string
	mac  string
	opts engine.ConnectOptions
}

// parseNetSpec reads one --network value.
func parseNetSpec(s string) (netSpec, error) {
	if !strings.Contains(s, "=") {
		return netSpec{name: s}, nil
	}
	r := csv.NewReader(strings.NewReader(s))
	fields, err := r.Read()
	if err != nil {
		return netSpec{}, badFlag("invalid argument %q for \"--network\" flag: %v", s, err)
	}
	var ns netSpec
	o := &ns.opts
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return ns, badFlag("invalid argument %q for \"--network\" flag: invalid field %q: must be a key=value pair", s, f)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "name":
			ns.name = v
		case "alias":
			o.Aliases = append(o.Aliases, v)
		case "ip":
			o.IP = v
		case "ip6":
			o.IP6 = v
		case "mac-address":
			ns.mac = v
		case "link-local-ip":
			o.LinkLocalIPs = append(o.LinkLocalIPs, v)
		case "driver-opt":
			dk, dv, ok := strings.Cut(v, "=")
			if !ok || dk == "" {
				return ns, badFlag("invalid argument %q for \"--network\" flag: invalid driver-opt %q: must be key=value", s, v)
			}
			if o.DriverOpts == nil {
				o.DriverOpts = map[string]string{}
			}
			o.DriverOpts[dk] = dv
		case "gw-priority":
			n, err := strconv.Atoi(v)
			if err != nil {
				return ns, badFlag("invalid argument %q for \"--network\" flag: invalid gw-priority %q", s, v)
			}
			o.GwPriority = n
		default:
			return ns, badFlag("invalid argument %q for \"--network\" flag: invalid field key %q", s, k)
		}
	}
	if ns.name == "" {
		return ns, badFlag("invalid argument %q for \"--network\" flag: network name is missing", s)
	}
	return ns, nil
}

// networks sorts the --network values into the container's own network,
// laid over h (with the flags --ip, --alias… already there), and those it
// joins after it: the caller connects them once it is created.
func networks(h *engine.HostConfig, values []string) ([]netSpec, error) {
	if len(values) == 0 {
		values = []string{network.DefaultNetwork}
	}
	specs := make([]netSpec, 0, len(values))
	for _, v := range values {
		ns, err := parseNetSpec(v)
		if err != nil {
			return nil, err
		}
		specs = append(specs, ns)
	}
	own, n := specs[0], &h.NetConfig
	if len(specs) > 1 {
		for _, s := range specs {
			if m, err := network.ParseMode(s.name); err != nil || m.Kind != network.ModeBridge {
				return nil, badFlag("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
			}
		}
	}
	o := own.opts
	if o.IP != "" {
		n.IPAddress = o.IP
	}
	if o.IP6 != "" {
		n.IP6Address = o.IP6
	}
	n.NetworkAliases = append(n.NetworkAliases, o.Aliases...)
	n.LinkLocalIPs = append(n.LinkLocalIPs, o.LinkLocalIPs...)
	n.GwPriority = o.GwPriority
	for k, v := range o.DriverOpts {
		var eo network.EndpointOptions
		if err := eo.SetDriverOpt(k, v); err != nil {
			return nil, badFlag("%v", err)
		}
		n.IfName = eo.IfName
	}
	if own.mac != "" {
		hw, err := net.ParseMAC(own.mac)
		if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
			return nil, badFlag("%s is not a valid mac address", own.mac)
		}
		h.MacAddress = hw.String()
	}
	for _, s := range specs[1:] {
		if s.mac != "" {
			return nil, badFlag("--network %s: mac-address is only for the first network here", s.name)
		}
	}
	return specs[1:], nil
}

// connectExtra joins the container to the --network values after the
// first (it is not running: each is joined at its start, as the API's
// create with several networks); on failure the container goes.
func (f *createFlags) connectExtra(ctx context.Context, e engine.Engine, id string) error {
	for _, s := range f.extraNets {
		if err := e.Connect(ctx, s.name, id, &s.opts); err != nil {
			e.Remove(context.WithoutCancel(ctx), id, true, true)
			return err
		}
	}
	return nil
}
