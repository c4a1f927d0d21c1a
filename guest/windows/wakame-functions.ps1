# Shared functions of the wakame-ts Windows guest scripts (guest-protocol.md).
# Dot-sourced by wakame-init-first-boot.ps1 and wakame-init-every-boot.ps1.
# Written for PowerShell 2.0 (Windows Server 2008 R2) as well as current
# Windows: WMI and .NET only, no cmdlets newer than 2.0.

$ScriptDir = Split-Path -Parent $MyInvocation.MyCommand.Definition
. (Join-Path $ScriptDir 'wakame-protocol.ps1')

function Write-Log {
    param([string]$Message)
    $stamp = Get-Date -Format 'yyyy-MM-dd HH:mm:ss'
    Write-Output "$stamp $Message"
}

# The METADATA drive's root ("D:\"), found by its volume label. Windows may
# mount it a moment after boot, so this waits up to a minute.
function Get-MetadataRoot {
    for ($i = 0; $i -lt 60; $i++) {
        $disks = Get-WmiObject Win32_LogicalDisk | Where-Object { $_.VolumeName -eq $METADATA_LABEL }
        foreach ($disk in @($disks)) {
            if ($disk.DeviceID) {
                return ($disk.DeviceID + '\')
            }
        }
        Start-Sleep -Seconds 1
    }
    throw "no drive labelled $METADATA_LABEL"
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
    $text = [System.IO.File]::ReadAllText($path)
    return $text.Trim()
}

function Test-Metadata {
    param([string]$Root, [string]$Relative)
    return (Test-Path -LiteralPath (Get-MetadataPath $Root $Relative))
}

# Each enabled NIC gets the address of its MAC's directory:
# meta-data\network\interfaces\macs\52-54-00-11-a0-5b\{local-ipv4s,x-netmask,x-gateway,x-dns}
function Set-NetworkFromMetadata {
    param([string]$Root)
    $nics = Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.IPEnabled -and $_.MACAddress }
    foreach ($nic in @($nics)) {
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
        $result = $nic.EnableStatic(@($ip), @($mask))
        Write-Log "NIC $mac address $ip/$mask (WMI status $($result.ReturnValue))"
        if ($gateway) {
            $result = $nic.SetGateways(@($gateway), @([uint16]1))
            Write-Log "NIC $mac gateway $gateway (WMI status $($result.ReturnValue))"
        }
        if ($dns) {
            $result = $nic.SetDNSServerSearchOrder(@($dns))
            Write-Log "NIC $mac DNS $dns (WMI status $($result.ReturnValue))"
        }
    }
}

# Lines of meta-data\extra-hosts\<hostname> (whose content is the address)
# between two marker lines of the hosts file, replaced on every boot.
function Set-HostsFromMetadata {
    param([string]$Root)
    $hostsFile = Join-Path $env:SystemRoot 'System32\drivers\etc\hosts'
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
        foreach ($file in @(Get-ChildItem -LiteralPath $dir)) {
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
    if (-not $name) { return }
    $computer = Get-WmiObject Win32_ComputerSystem
    if ($computer.Name -ne $name) {
        $result = $computer.Rename($name)
        Write-Log "hostname $name from the next boot (WMI status $($result.ReturnValue))"
    }
}

# enable-firewall present: firewall on, RDP (3389 tcp and udp) open;
# absent: firewall off, the security groups filter instead.
function Set-FirewallFromMetadata {
    param([string]$Root)
    if (Test-Metadata $Root $META_ENABLE_FIREWALL) {
        & netsh advfirewall set allprofiles state on | Out-Null
        & netsh advfirewall firewall delete rule name="wakame-ts RDP" | Out-Null
        & netsh advfirewall firewall add rule name="wakame-ts RDP" dir=in action=allow protocol=TCP localport=3389 | Out-Null
        & netsh advfirewall firewall add rule name="wakame-ts RDP" dir=in action=allow protocol=UDP localport=3389 | Out-Null
        Write-Log 'firewall on, RDP 3389 tcp and udp open'
    } else {
        & netsh advfirewall set allprofiles state off | Out-Null
        Write-Log 'firewall off'
    }
}

function Enable-RemoteDesktop {
    $key = 'HKLM:\System\CurrentControlSet\Control\Terminal Server'
    Set-ItemProperty -Path $key -Name 'fDenyTSConnections' -Value 0
    Write-Log 'remote desktop on'
}

# PASSWORD_LENGTH characters from a cryptographic generator, at least
# PASSWORD_MIN_NON_ALPHANUMERIC of them neither letters nor digits, and an
# upper case letter, a lower case letter and a digit (complexity rules).
function New-InitialPassword {
    $alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%&*+,.:;=?@^_~-'
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

function Set-AdministratorPassword {
    param([string]$Password)
    $user = [ADSI]"WinNT://./Administrator,user"
    $user.SetPassword($Password)
    $user.SetInfo()
}

# A big-endian unsigned integer of an OpenSSH key blob, without the sign byte.
function Read-SshMpint {
    param([byte[]]$Blob, [ref]$Offset)
    $length = Read-SshLength $Blob $Offset
    $value = New-Object byte[] $length
    [Array]::Copy($Blob, $Offset.Value, $value, 0, $length)
    $Offset.Value += $length
    $start = 0
    while ($start -lt ($value.Length - 1) -and $value[$start] -eq 0) { $start++ }
    $trimmed = New-Object byte[] ($value.Length - $start)
    [Array]::Copy($value, $start, $trimmed, 0, $trimmed.Length)
    return , $trimmed
}

function Read-SshLength {
    param([byte[]]$Blob, [ref]$Offset)
    $o = $Offset.Value
    $length = ([int]$Blob[$o] -shl 24) -bor ([int]$Blob[$o + 1] -shl 16) -bor ([int]$Blob[$o + 2] -shl 8) -bor [int]$Blob[$o + 3]
    $Offset.Value = $o + 4
    return $length
}

# The RSA public key of an OpenSSH line "ssh-rsa AAAA... comment":
# string "ssh-rsa", mpint e, mpint n.
function ConvertFrom-OpenSshRsaKey {
    param([string]$Line)
    $parts = $Line.Trim().Split(' ')
    if ($parts.Length -lt 2 -or $parts[0] -ne 'ssh-rsa') {
        throw 'the instance key is not an ssh-rsa key: only RSA keys can carry a password'
    }
    $blob = [Convert]::FromBase64String($parts[1])
    $offset = 0
    $typeLength = Read-SshLength $blob ([ref]$offset)
    $offset += $typeLength
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

# meta-data\auto-activate present: activate, through the proxy when
# auto-activate-proxy gives one (IP:PORT).
function Invoke-AutoActivation {
    param([string]$Root)
    if (-not (Test-Metadata $Root $META_AUTO_ACTIVATE)) { return }
    $proxy = Read-Metadata $Root $META_AUTO_ACTIVATE_PROXY
    if ($proxy) {
        & netsh winhttp set proxy $proxy | Out-Null
        Write-Log "activation through proxy $proxy"
    }
    $slmgr = Join-Path $env:SystemRoot 'System32\slmgr.vbs'
    & cscript //b $slmgr /ato
    Write-Log "activation asked (cscript status $LASTEXITCODE)"
    if ($proxy) {
        & netsh winhttp reset proxy | Out-Null
    }
}
