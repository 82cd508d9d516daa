// Package infra holds the configuration files the functions are built with, so that the
// files in this folder are the one place to change them: the plans (plans.json) and the
// organization's identity (organization.json) are compiled into the binaries.
package infra

import _ "embed"

// PlansJSON is plans.json: the subscription and dues plans people can choose.
//
//go:embed plans.json
var PlansJSON []byte

// OrganizationJSON is organization.json: the organization's names, sender, mailing
// address and look, on every email and page.
//
//go:embed organization.json
var OrganizationJSON []byte
