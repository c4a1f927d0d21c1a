# Shared functions of the wakame-ts Windows guest scripts (guest-protocol.md).
# Dot-sourced by wakame-init-first-boot.ps1 and wakame-init-every-boot.ps1,
# which then call Invoke-FirstBoot or Invoke-EveryBoot with the METADATA
# drive's root. Written for PowerShell 2.0 (Windows Server 2008 R2) as well as
# current Windows: WMI and .NET only, no cmdlets newer than 2.0.
#
# Every effect on Windows sits in one small function of the first section, and
# does only that: a test dot-sources this file, then a file that redefines
# just those functions, and runs the rest for real on any PowerShell. Paths are
# built with Join-Path only, so that a root of D:\ and one of /tmp/x/ both work.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-protocol.ps1')

# ---- Windows effects ------------------------------------------------------

# The root ("D:\") of the volume labelled $Label, or $null.
function Find-VolumeByLabel {
    param([string]$Label)
    $disks = Get-WmiObject Win32_LogicalDisk | Where-Object { $_.VolumeName -eq $Label }
    foreach ($disk in @($disks)) {
        if ($disk.DeviceID) { return ($disk.DeviceID + '\') }
    }
    return $null
}

function Wait-ForVolume {
    Start-Sleep -Seconds 1
}

# The enabled NICs, each with its MACAddress ("52:54:00:11:A0:5B").
function Get-NetworkAdapters {
    return @(Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.IPEnabled -and $_.MACAddress })
}

function Set-NicAddress {
    param($Nic, [string]$Address, [string]$Netmask, [string]$Gateway, [string]$Dns)
    $result = $Nic.EnableStatic(@($Address), @($Netmask))
    Write-Log "NIC $($Nic.MACAddress) address $Address/$Netmask (WMI status $($result.ReturnValue))"
    if ($Gateway) {
        $result = $Nic.SetGateways(@($Gateway), @([uint16]1))
        Write-Log "NIC $($Nic.MACAddress) gateway $Gateway (WMI status $($result.ReturnValue))"
    }
    if ($Dns) {
        $result = $Nic.SetDNSServerSearchOrder(@($Dns))
        Write-Log "NIC $($Nic.MACAddress) DNS $Dns (WMI status $($result.ReturnValue))"
    }
}

function Get-HostsFilePath {
    return (Join-Path $env:SystemRoot 'System32\drivers\etc\hosts')
}

# The computer's new name, in force from the next boot.
function Rename-Guest {
    param([string]$Name)
    $computer = Get-WmiObject Win32_ComputerSystem
    if ($computer.Name -ne $Name) {
        $result = $computer.Rename($Name)
        Write-Log "hostname $Name from the next boot (WMI status $($result.ReturnValue))"
    }
}

function Set-AdministratorPassword {
    param([string]$Password)
    $user = [ADSI]"WinNT://./Administrator,user"
    $user.SetPassword($Password)
    $user.SetInfo()
}

function Enable-RemoteDesktop {
    $key = 'HKLM:\System\CurrentControlSet\Control\Terminal Server'
    Set-ItemProperty -Path $key -Name 'fDenyTSConnections' -Value 0
    Write-Log 'remote desktop on'
}

# On: every profile's firewall on, RDP (3389 tcp and udp) let in. Off: firewall off.
function Set-GuestFirewall {
    param([bool]$On)
    if ($On) {
        & netsh advfirewall set allprofiles state on | Out-Null
        & netsh advfirewall firewall delete rule name="wakame-ts RDP" | Out-Null
        & netsh advfirewall firewall add rule name="wakame-ts RDP" dir=in action=allow protocol=TCP localport=3389 | Out-Null
        & netsh advfirewall firewall add rule name="wakame-ts RDP" dir=in action=allow protocol=UDP localport=3389 | Out-Null
    } else {
        & netsh advfirewall set allprofiles state off | Out-Null
    }
}

function Set-ActivationProxy {
    param([string]$Proxy)
    & netsh winhttp set proxy $Proxy | Out-Null
}

function Reset-ActivationProxy {
    & netsh winhttp reset proxy | Out-Null
}

# slmgr /ipk KEY: the product key the instance was launched with; its exit status.
function Set-ProductKey {
    param([string]$Key)
    $slmgr = Join-Path $env:SystemRoot 'System32\slmgr.vbs'
    & cscript //b $slmgr /ipk $Key | Out-Null
    return $LASTEXITCODE
}

# slmgr /skms HOST:PORT: the KMS server activation goes to; its exit status.
function Set-KmsHost {
    param([string]$HostPort)
    $slmgr = Join-Path $env:SystemRoot 'System32\slmgr.vbs'
    & cscript //b $slmgr /skms $HostPort | Out-Null
    return $LASTEXITCODE
}

# slmgr /ato; its exit status.
function Invoke-Activation {
    $slmgr = Join-Path $env:SystemRoot 'System32\slmgr.vbs'
    & cscript //b $slmgr /ato | Out-Null
    return $LASTEXITCODE
}

# The task that runs $Command at every boot, as SYSTEM; schtasks' exit status.
function Register-EveryBootTask {
    param([string]$Command)
    & schtasks /create /f /tn 'wakame-init-every-boot' /sc onstart /ru SYSTEM /tr $Command | Out-Null
    return $LASTEXITCODE
}

function Stop-Guest {
    Stop-Computer -Force
}

# The seed's sysprep-for-backup.cmd: it deletes the every-boot task, makes the
# next boot a first boot again (SetupComplete-firstboot.cmd) and runs sysprep
# /generalize /oobe /shutdown with the first-boot answer file, which powers
# the machine off. Its lines go to the log; its exit status (sysprep's).
function Invoke-SysprepForBackup {
    param([string]$Script)
    & cmd /c $Script | ForEach-Object { Write-Log "sysprep-for-backup: $_" }
    return $LASTEXITCODE
}

# ---- The guest protocol ---------------------------------------------------

# To the script's standard output, which the .cmd files send to a log file;
# not to the pipeline, so that a function may log and still return a value.
function Write-Log {
    param([string]$Message)
    $stamp = Get-Date -Format 'yyyy-MM-dd HH:mm:ss'
    [Console]::Out.WriteLine("$stamp $Message")
}

# The METADATA drive's root, or $null when none comes. Windows may mount it a
# moment after boot, so this waits up to $Tries seconds.
function Get-MetadataRoot {
    param([int]$Tries = 60)
    for ($i = 0; $i -lt $Tries; $i++) {
        $root = Find-VolumeByLabel $METADATA_LABEL
        if ($root) { return $root }
        Wait-ForVolume
    }
    Write-Log "no drive labelled $METADATA_LABEL after $Tries s: the host gave this machine no metadata"
    return $null
}

function Get-MetadataPath {
    param([string]$Root, [string]$Relative)
    return (Join-Path $Root $Relative)
}

# One value of the metadata drive, trimmed; $null when the file is absent.
function Read-Metadata {
    param([string]$Root, [string]$Relative)
    $path = Get-MetadataPath $Root $Relative
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return $null
    }
    return ([System.IO.File]::ReadAllText($path)).Trim()
}

function Test-Metadata {
    param([string]$Root, [string]$Relative)
    return (Test-Path -LiteralPath (Get-MetadataPath $Root $Relative))
}

# Each enabled NIC gets the address of its MAC's directory:
# meta-data\network\interfaces\macs\52-54-00-11-a0-5b\{local-ipv4s,x-netmask,x-gateway,x-dns}
function Set-NetworkFromMetadata {
    param([string]$Root)
    foreach ($nic in @(Get-NetworkAdapters)) {
        $mac = $nic.MACAddress.ToLower().Replace(':', '-')
        $dir = Join-Path $META_INTERFACES_DIR $mac
        $ip = Read-Metadata $Root (Join-Path $dir $IF_IPV4)
        if (-not $ip) {
            Write-Log "no address in the metadata for NIC $mac; leaving it on DHCP"
            continue
        }
        $mask = Read-Metadata $Root (Join-Path $dir $IF_NETMASK)
        $gateway = Read-Metadata $Root (Join-Path $dir $IF_GATEWAY)
        $dns = Read-Metadata $Root (Join-Path $dir $IF_DNS)
        Set-NicAddress $nic $ip $mask $gateway $dns
    }
}

# Lines of meta-data\extra-hosts\<hostname> (whose content is the address)
# between two marker lines of the hosts file, replaced on every boot; the
# lines outside the markers are kept as they are.
function Set-HostsFromMetadata {
    param([string]$Root)
    $hostsFile = Get-HostsFilePath
    $begin = '# wakame-ts extra-hosts begin'
    $end = '# wakame-ts extra-hosts end'
    $kept = New-Object System.Collections.ArrayList
    $inside = $false
    if (Test-Path -LiteralPath $hostsFile) {
        foreach ($line in [System.IO.File]::ReadAllLines($hostsFile)) {
            if ($line -eq $begin) { $inside = $true; continue }
            if ($line -eq $end) { $inside = $false; continue }
            if (-not $inside) { [void]$kept.Add($line) }
        }
    }
    $dir = Get-MetadataPath $Root $META_EXTRA_HOSTS_DIR
    if (Test-Path -LiteralPath $dir) {
        [void]$kept.Add($begin)
        foreach ($file in @(Get-ChildItem -LiteralPath $dir | Sort-Object Name)) {
            $address = ([System.IO.File]::ReadAllText($file.FullName)).Trim()
            [void]$kept.Add("$address`t$($file.Name)")
        }
        [void]$kept.Add($end)
    }
    [System.IO.File]::WriteAllLines($hostsFile, [string[]]$kept.ToArray())
}

function Set-HostnameFromMetadata {
    param([string]$Root)
    $name = Read-Metadata $Root $META_LOCAL_HOSTNAME
    if ($name) { Rename-Guest $name }
}

# enable-firewall present: firewall on, RDP open; absent: firewall off, the
# security groups filter instead.
function Set-FirewallFromMetadata {
    param([string]$Root)
    if (Test-Metadata $Root $META_ENABLE_FIREWALL) {
        Set-GuestFirewall $true
        Write-Log 'firewall on, RDP 3389 tcp and udp open'
    } else {
        Set-GuestFirewall $false
        Write-Log 'firewall off'
    }
}

# PASSWORD_LENGTH characters from a cryptographic generator, at least
# PASSWORD_MIN_NON_ALPHANUMERIC of them neither letters nor digits, and an
# upper case letter, a lower case letter and a digit (complexity rules).
function New-InitialPassword {
    $alphabet = $PASSWORD_ALPHABET
    $rng = New-Object System.Security.Cryptography.RNGCryptoServiceProvider
    $bytes = New-Object byte[] 1
    while ($true) {
        $chars = New-Object System.Text.StringBuilder
        while ($chars.Length -lt $PASSWORD_LENGTH) {
            $rng.GetBytes($bytes)
            # Rejecting the top of the byte range keeps every character equally likely.
            if ($bytes[0] -lt ($alphabet.Length * [Math]::Floor(256 / $alphabet.Length))) {
                [void]$chars.Append($alphabet[$bytes[0] % $alphabet.Length])
            }
        }
        $candidate = $chars.ToString()
        # @(): PowerShell 2.0 has no .Count on a single result.
        $special = @($candidate.ToCharArray() | Where-Object { -not [char]::IsLetterOrDigit($_) }).Count
        if ($special -ge $PASSWORD_MIN_NON_ALPHANUMERIC -and
            $candidate -cmatch '[A-Z]' -and $candidate -cmatch '[a-z]' -and $candidate -match '[0-9]') {
            return $candidate
        }
    }
}

# A new password set for Administrator, tried up to $Tries times; $null when every try failed.
function Set-InitialPassword {
    param([int]$Tries)
    $why = 'no try was allowed'
    for ($try = 1; $try -le $Tries; $try++) {
        $candidate = New-InitialPassword
        try {
            Set-AdministratorPassword $candidate
            Write-Log "Administrator password set (try $try)"
            return $candidate
        } catch {
            $why = "$_"
            Write-Log "setting the password failed (try $try of $Tries): $why"
        }
    }
    Write-Log "no password set after $Tries tries ($why): the host will report 'password not generated'"
    return $null
}

# A big-endian 32-bit length of an OpenSSH key blob at $Offset, moved past it.
function Read-SshLength {
    param([byte[]]$Blob, [ref]$Offset)
    $o = $Offset.Value
    if ($o + 4 -gt $Blob.Length) { throw 'the instance key is cut short: its base64 text is truncated' }
    # Products, not -shl: PowerShell 2.0 has no shift operators.
    $length = [long]$Blob[$o] * 16777216 + [long]$Blob[$o + 1] * 65536 + [long]$Blob[$o + 2] * 256 + [long]$Blob[$o + 3]
    if ($o + 4 + $length -gt $Blob.Length) {
        throw 'the instance key is cut short: its base64 text is truncated'
    }
    $Offset.Value = $o + 4
    return [int]$length
}

# The next field of an OpenSSH key blob, as bytes.
function Read-SshField {
    param([byte[]]$Blob, [ref]$Offset)
    $length = Read-SshLength $Blob $Offset
    $value = New-Object byte[] $length
    [Array]::Copy($Blob, $Offset.Value, $value, 0, $length)
    $Offset.Value += $length
    return , $value
}

# A big-endian unsigned integer of an OpenSSH key blob, without the sign byte.
function Read-SshMpint {
    param([byte[]]$Blob, [ref]$Offset)
    $value = Read-SshField $Blob $Offset
    $start = 0
    while ($start -lt ($value.Length - 1) -and $value[$start] -eq 0) { $start++ }
    $trimmed = New-Object byte[] ($value.Length - $start)
    [Array]::Copy($value, $start, $trimmed, 0, $trimmed.Length)
    return , $trimmed
}

# The RSA public key of an OpenSSH line "ssh-rsa AAAA... comment":
# string "ssh-rsa", mpint e, mpint n.
function ConvertFrom-OpenSshRsaKey {
    param([string]$Line)
    if (-not $Line) {
        throw "no instance key on the metadata drive ($META_PUBLIC_KEY): launch the instance with an ssh key"
    }
    $parts = $Line.Trim().Split(' ')
    if ($parts.Length -lt 2 -or $parts[0] -ne 'ssh-rsa') {
        throw "the instance key is a $($parts[0]) key, not ssh-rsa: only RSA keys can carry a password"
    }
    try {
        $blob = [Convert]::FromBase64String($parts[1])
    } catch {
        throw 'the instance key is damaged: its text is not base64'
    }
    $offset = 0
    $type = [System.Text.Encoding]::ASCII.GetString((Read-SshField $blob ([ref]$offset)))
    if ($type -ne 'ssh-rsa') { throw "the instance key's data is of a $type key, not ssh-rsa" }
    $exponent = Read-SshMpint $blob ([ref]$offset)
    $modulus = Read-SshMpint $blob ([ref]$offset)
    $parameters = New-Object System.Security.Cryptography.RSAParameters
    $parameters.Exponent = $exponent
    $parameters.Modulus = $modulus
    $rsa = New-Object System.Security.Cryptography.RSACryptoServiceProvider
    $rsa.ImportParameters($parameters)
    return $rsa
}

# RSA-OAEP with SHA-1 and MGF1-SHA-1 of the password's UTF-8 bytes:
# Encrypt(data, $true) is OAEP on .NET 2.0 and later.
function Protect-Password {
    param([string]$Password, [string]$OpenSshKey)
    $rsa = ConvertFrom-OpenSshRsaKey $OpenSshKey
    $plain = [System.Text.Encoding]::UTF8.GetBytes($Password)
    return , $rsa.Encrypt($plain, $true)
}

# pw.enc, whole or not at all: written beside it, then renamed into place.
function Write-EncryptedPassword {
    param([string]$Root, [byte[]]$Cipher)
    $final = Get-MetadataPath $Root $META_PW_ENC
    $temp = "$final.tmp"
    [System.IO.File]::WriteAllBytes($temp, $Cipher)
    if (Test-Path -LiteralPath $final) { [System.IO.File]::Delete($final) }
    [System.IO.File]::Move($temp, $final)
}

# The initial password, set and encrypted for the instance's key into pw.enc.
# A key that cannot carry it leaves no pw.enc (the host then reports
# "password not generated"); the password is set all the same, so that the
# build's temporary one never opens the instance.
function New-EncryptedInitialPassword {
    param([string]$Root)
    $tries = $PASSWORD_DEFAULT_RETRIES
    $asked = Read-Metadata $Root $META_RETRY_GEN_PASSWORD
    if ($asked -match '^[0-9]+$') { $tries = [int]$asked }
    $password = Set-InitialPassword $tries
    if (-not $password) { return }
    try {
        $cipher = Protect-Password $password (Read-Metadata $Root $META_PUBLIC_KEY)
        Write-EncryptedPassword $Root $cipher
        Write-Log "encrypted password written ($($cipher.Length) bytes)"
    } catch {
        Write-Log "no encrypted password: $_"
    }
}

# meta-data\product-key: applied first (the log names only its last group).
# meta-data\auto-activate present: activate, against the KMS host that
# auto-activate\kms-host names (HOST:PORT), through the proxy when
# auto-activate-proxy gives one (IP:PORT), which is reset afterwards.
function Invoke-AutoActivation {
    param([string]$Root)
    $key = Read-Metadata $Root $META_PRODUCT_KEY
    if ($key) {
        $status = Set-ProductKey $key
        Write-Log "product key *****-*****-*****-*****-$($key.Substring($key.Length - 5)) applied (slmgr status $status)"
    }
    if (-not (Test-Metadata $Root $META_AUTO_ACTIVATE)) { return }
    $kms = Read-Metadata $Root $META_AUTO_ACTIVATE_KMS_HOST
    if ($kms) {
        $status = Set-KmsHost $kms
        Write-Log "activation against the KMS host $kms (slmgr status $status)"
    }
    $proxy = Read-Metadata $Root $META_AUTO_ACTIVATE_PROXY
    if ($proxy) {
        Set-ActivationProxy $proxy
        Write-Log "activation through proxy $proxy"
    }
    $status = Invoke-Activation
    Write-Log "activation asked (slmgr status $status)"
    if ($proxy) { Reset-ActivationProxy }
}

# The first boot (guest-protocol.md, "First boot"): network and hostname from
# the metadata; the initial password made, set, and encrypted into pw.enc
# before remote desktop opens; firewall, RDP and the every-boot task; then
# power off, so the host agent collects the password.
function Invoke-FirstBoot {
    param([string]$Root)
    if (-not $Root) {
        Write-Log 'powering off: without metadata there is no password to make'
        Stop-Guest
        return
    }
    Write-Log "first boot, metadata on $Root"
    Set-NetworkFromMetadata $Root
    Set-HostsFromMetadata $Root
    Set-HostnameFromMetadata $Root
    if (Test-Metadata $Root $META_FIRST_BOOT) {
        New-EncryptedInitialPassword $Root
    } else {
        Write-Log "no $META_FIRST_BOOT on the metadata drive: the password is left as it is"
    }
    Set-FirewallFromMetadata $Root
    Enable-RemoteDesktop
    $status = Register-EveryBootTask (Join-Path $ScriptDir 'wakame-init-every-boot.cmd')
    Write-Log "every-boot task registered (schtasks status $status)"
    Invoke-AutoActivation $Root
    Write-Log 'powering off for the host agent'
    Stop-Guest
}

# Every later boot: networking and hosts entries again. Never the password.
# When the host agent has put sysprep-for-backup on the drive (a backup asked
# with generalize=true), instead: sysprep-for-backup.cmd, which re-arms the
# first boot and has sysprep generalize the machine and power it off; the
# guest takes the flag off the drive first (the host agent's sign that it
# acted on it); the host then puts first-boot back and backs the disk up.
# Nothing else runs then: the machine is on its way down.
function Invoke-EveryBoot {
    param([string]$Root)
    if (-not $Root) { return }
    Write-Log "every boot, metadata on $Root"
    if (Test-Metadata $Root $META_SYSPREP_FOR_BACKUP) {
        Write-Log "$META_SYSPREP_FOR_BACKUP on the metadata drive: sysprep for backup (generalize, first boot re-armed, power off)"
        # Taken off the drive first: the host agent takes a power-off as generalized only without it.
        Remove-Item -LiteralPath (Get-MetadataPath $Root $META_SYSPREP_FOR_BACKUP) -Force
        $status = Invoke-SysprepForBackup (Join-Path $ScriptDir 'sysprep-for-backup.cmd')
        if ($status -eq 0) {
            Write-Log 'sysprep-for-backup.cmd done: sysprep powers the machine off for the host agent'
        } else {
            Write-Log "sysprep-for-backup.cmd failed (status $status): sysprep's logs are in %SystemRoot%\System32\Sysprep\Panther; the machine stays on and the host agent fails the backup when its time is up"
        }
        return
    }
    Set-NetworkFromMetadata $Root
    Set-HostsFromMetadata $Root
}
