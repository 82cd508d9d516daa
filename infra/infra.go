// Package infra holds the configuration files the functions are built with, so that the
// files in this folder are the one place to change them: the plans (plans.json) are
// compiled into the binaries that need them.
package infra

import _ "embed"

// PlansJSON is plans.json: the subscription and dues plans people can choose.
//
//go:embed plans.json
var PlansJSON []byte
