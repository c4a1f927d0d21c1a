# Every boot of a wakame-ts Windows instance after the first (the
# wakame-init-every-boot task): networking and hosts entries again from the
# METADATA drive. It never touches the password.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-functions.ps1')

$root = Get-MetadataRoot
Write-Log "every boot, metadata on $root"
Set-NetworkFromMetadata $root
Set-HostsFromMetadata $root
