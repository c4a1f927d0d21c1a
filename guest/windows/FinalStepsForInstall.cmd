@echo off
REM Run by Autounattend.xml in the specialize pass of the installation: puts
REM the wakame-ts scripts from the floppy (A:) where the later phases find them.
mkdir C:\Windows\Setup\Scripts

REM Installation phase: SetupComplete.cmd runs when Windows setup ends.
copy /y A:\SetupComplete-install.cmd C:\Windows\Setup\Scripts\SetupComplete.cmd

REM First boot of each instance: run-sysprep.cmd swaps in this SetupComplete
REM and points sysprep at the first-boot answer file.
copy /y A:\SetupComplete-firstboot.cmd C:\Windows\Setup\Scripts\
copy /y A:\Unattend-for-first-boot.xml C:\Windows\Setup\Scripts\
copy /y A:\wakame-init-first-boot.ps1 C:\Windows\Setup\Scripts\

REM Every boot: wakame-init-first-boot.ps1 registers this task.
copy /y A:\wakame-init-every-boot.cmd C:\Windows\Setup\Scripts\
copy /y A:\wakame-init-every-boot.ps1 C:\Windows\Setup\Scripts\

REM Shared by the scripts above.
copy /y A:\wakame-functions.ps1 C:\Windows\Setup\Scripts\
copy /y A:\wakame-protocol.ps1 C:\Windows\Setup\Scripts\

REM Sysprep for backup: the every-boot script runs it when the host agent puts
REM meta-data\sysprep-for-backup on the drive (a backup with generalize=true).
copy /y A:\sysprep-for-backup.cmd C:\Windows\Setup\Scripts\
