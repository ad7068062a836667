using HotZk.Hosting;
using HotZk.Hosting.Config;

namespace HotZk.Server;

/// <summary>hotzk-server: <c>server [zoo.cfg]</c> and maintenance subcommands.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        string cmd = args.Length > 0 ? args[0] : "server";
        string[] rest = args.Length > 0 ? args[1..] : [];
        try
        {
            return cmd switch
            {
                "server" => await RunServerAsync(rest).ConfigureAwait(false),
                "import" => Maintenance.Import(rest),
                "logdump" => Maintenance.LogDump(rest),
                "snapdump" => Maintenance.SnapDump(rest),
                "purge" => Maintenance.Purge(rest),
                _ => Usage($"unknown command '{cmd}'"),
            };
        }
        catch (ZooConfigException e)
        {
            Console.Error.WriteLine($"Invalid configuration: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int Usage(string error)
    {
        Console.Error.WriteLine(error);
        Console.Error.WriteLine("usage: hotzk-server server [zoo.cfg] | import | logdump | snapdump | purge");
        return 2;
    }

    private static async Task<int> RunServerAsync(string[] args)
    {
        ZooConfig config = args.Length > 0
            ? ZooConfigParser.Parse(args[0])
            : ZooConfig.CreateDefaultStandalone(Path.GetFullPath("data"));
        await using var host = new HotZkHost(config);
        host.Start();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        try { await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Console.Error.WriteLine("shutting down");
        return 0;
    }
}
