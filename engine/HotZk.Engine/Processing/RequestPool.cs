using Microsoft.Extensions.ObjectPool;

namespace HotZk.Engine.Processing;

/// <summary>
/// Pooled <see cref="Request"/> objects: a connection rents one per frame and returns it once its
/// reply has been encoded, so steady-state traffic allocates no request state.
/// </summary>
/// <remarks>Rent and Return are thread-safe. Nothing may touch a request after returning it.</remarks>
public static class RequestPool
{
    private sealed class Policy : PooledObjectPolicy<Request>
    {
        public override Request Create() => new();

        public override bool Return(Request obj)
        {
            obj.Reset();
            return true;
        }
    }

    private static readonly ObjectPool<Request> Pool = new DefaultObjectPool<Request>(new Policy(), 4096);

    /// <summary>A clean request.</summary>
    public static Request Rent() => Pool.Get();

    /// <summary>Gives a request back after its reply was encoded.</summary>
    public static void Return(Request request) => Pool.Return(request);
}
