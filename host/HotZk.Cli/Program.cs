namespace HotZk.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) =>
        ZkShell.RunAsync(args, Console.In, Console.Out, Console.Error, interactivePrompt: !Console.IsInputRedirected);
}
