# First boot of a wakame-ts Windows instance (guest-protocol.md, "First
# boot"): run once by SetupComplete.cmd after sysprep's specialize and OOBE.
# What it does is Invoke-FirstBoot's, in wakame-functions.ps1.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-functions.ps1')

Invoke-FirstBoot (Get-MetadataRoot)
