# Every boot of a wakame-ts Windows instance after the first (the
# wakame-init-every-boot task): networking and hosts entries again from the
# METADATA drive, by Invoke-EveryBoot in wakame-functions.ps1; or, when the
# host agent asks for a generalized backup (sysprep-for-backup on the drive),
# sysprep-for-backup.cmd instead.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-functions.ps1')

Invoke-EveryBoot (Get-MetadataRoot)
