// Package caps applies the five capability sets of an OCI process.
package caps
