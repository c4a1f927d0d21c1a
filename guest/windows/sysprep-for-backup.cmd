@echo off
REM Prepares an instance for a backup that new instances will be launched
REM from: the next boot is again a first boot, with a new password. Run by
REM the every-boot script (Invoke-SysprepForBackup) when the host agent puts
REM meta-data\sysprep-for-backup on the drive; sysprep powers the machine off.
schtasks /delete /tn wakame-init-every-boot /f

del C:\Windows\Setup\Scripts\SetupComplete.cmd
copy /y C:\Windows\Setup\Scripts\SetupComplete-firstboot.cmd C:\Windows\Setup\Scripts\SetupComplete.cmd

cd /d C:\Windows\System32\sysprep
sysprep.exe /generalize /oobe /shutdown /unattend:C:\Windows\Setup\Scripts\Unattend-for-first-boot.xml
