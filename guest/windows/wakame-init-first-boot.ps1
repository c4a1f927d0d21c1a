# First boot of a wakame-ts Windows instance (guest-protocol.md, "First
# boot"): run once by SetupComplete.cmd after sysprep's specialize and OOBE.
# Network and hostname from the METADATA drive; the initial Administrator
# password made, set, and encrypted with the instance's ssh key into
# meta-data\pw.enc (set before RDP opens, so the build's temporary password
# is never reachable); firewall, RDP and the every-boot task; then the
# machine powers off so the host agent collects the password.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-functions.ps1')

$root = Get-MetadataRoot
Write-Log "first boot, metadata on $root"

Set-NetworkFromMetadata $root
Set-HostsFromMetadata $root
Set-HostnameFromMetadata $root

if (Test-Metadata $root $META_FIRST_BOOT) {
    $tries = $PASSWORD_DEFAULT_RETRIES
    $asked = Read-Metadata $root $META_RETRY_GEN_PASSWORD
    if ($asked -match '^[0-9]+$') { $tries = [int]$asked }
    $password = $null
    for ($try = 1; $try -le $tries -and -not $password; $try++) {
        $candidate = New-InitialPassword
        try {
            Set-AdministratorPassword $candidate
            $password = $candidate
            Write-Log "Administrator password set (try $try)"
        } catch {
            Write-Log "setting the password failed (try $try of $tries): $_"
        }
    }
    if ($password) {
        $key = Read-Metadata $root $META_PUBLIC_KEY
        try {
            $cipher = Protect-Password $password $key
            [System.IO.File]::WriteAllBytes((Get-MetadataPath $root $META_PW_ENC), $cipher)
            Write-Log "encrypted password written ($($cipher.Length) bytes)"
        } catch {
            # No pw.enc: the host agent records "password not generated".
            Write-Log "encrypting the password failed: $_"
        }
    }
    $password = $null
} else {
    Write-Log "no $META_FIRST_BOOT on the metadata drive: the password is left as it is"
}

Set-FirewallFromMetadata $root
Enable-RemoteDesktop

# Every later boot re-applies networking and hosts entries.
$task = Join-Path $ScriptDir 'wakame-init-every-boot.cmd'
& schtasks /create /f /tn 'wakame-init-every-boot' /sc onstart /ru SYSTEM /tr $task | Out-Null
Write-Log "every-boot task registered (schtasks status $LASTEXITCODE)"

Invoke-AutoActivation $root

Write-Log 'powering off for the host agent'
Stop-Computer -Force
